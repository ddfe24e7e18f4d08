// ServiceExample: a TCP echo service the way a Swift server application would run one on
// swift-uring, with both integration traits on (ServiceLifecycle, Metrics).
//
//   swift run ServiceExample [--port N] [--host 127.0.0.1]
//
// - The runtime is the process-default executor (URingRuntimeFactory): it starts before
//   `main`, so it made no logger; after `LoggingSystem.bootstrap` the application hands
//   it one with `useLogger`, and its reports (a stalled worker, the fallback warning)
//   come through the application's handler.
// - One ServiceGroup runs the runtime, its metrics sampler and the echo listener, in that
//   order; SIGTERM or SIGINT shuts them down gracefully in reverse order: the listener
//   stops accepting at once and lets open connections finish (up to 5 s), the sampler
//   takes a last sample, the runtime service returns.
// - Metrics go to an in-process backend (MetricsTestKit's TestMetrics), printed at exit.
// - A line `block` makes its connection's handler block its worker for 30 ms before
//   echoing it, so that the runtime reports a stall (through the application's logger).
// Exits 0 after a clean shutdown; 1 if it cannot listen or the metrics are missing.

@_spi(ExperimentalCustomExecutors) import URing
import Glibc
import Logging
import Metrics
import MetricsTestKit
import ServiceLifecycle

typealias DefaultExecutorFactory = URingRuntimeFactory

/// The application's log handler: one line per message on standard output, each starting
/// with `[app-log]`, so a reader (and scripts/service-example-check) can tell what came
/// through it.
struct AppLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        say("[app-log] \(event.level) \(label): \(event.message)\(details)")
    }
}

/// Writes one line to standard output at once (unbuffered: lines from several threads and
/// a pipe reader stay whole and in order).
func say(_ text: String) {
    let line = Array((text + "\n").utf8)
    line.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}

/// `--port N` and `--host ADDRESS`.
struct Options {
    var host = "127.0.0.1"
    var port = 7008

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch (flag, rest.popFirst()) {
            case ("--port", let value?) where Int(value).map { (0...65_535).contains($0) } ?? false:
                options.port = Int(value)!
            case ("--host", let value?):
                options.host = value
            default:
                say("usage: ServiceExample [--port N] [--host 127.0.0.1]")
                exit(2)
            }
        }
        return options
    }
}

/// Echoes what the peer sends until it ends the connection (the service then closes it).
func echo(_ stream: TCPStream) async throws {
    while true {
        let bytes = try await stream.receive(maxCount: 16 * 1024)
        if bytes.isEmpty { return }
        if String(decoding: bytes, as: UTF8.self).contains("block") {
            // Deliberately wrong: a blocking call on a runtime worker. The runtime reports it.
            usleep(30_000)
        }
        try await stream.send(bytes)
    }
}

/// Prints every metric the runtime exported, per worker; false if any expected one is missing.
func reportMetrics(_ metrics: TestMetrics, workers: Int) -> Bool {
    var complete = true
    for label in ["uring_operations_submitted", "uring_operations_completed", "uring_ring_enters", "uring_jobs_run"] {
        for worker in 0..<workers {
            let total = metrics.counterTotal(label: label, dimensions: [("worker", "\(worker)")])
            say("metric \(label){worker=\"\(worker)\"} \(total)")
        }
        if metrics.counterTotal(label: label) <= 0 {
            say("ServiceExample: metric \(label) is 0 on every worker")
            complete = false
        }
    }
    for label in ["uring_operations_in_flight", "uring_provided_buffers_in_use"] {
        for worker in 0..<workers {
            guard let gauge = try? metrics.expectGauge(label, [("worker", "\(worker)")]), let value = gauge.lastValue else {
                say("ServiceExample: gauge \(label) missing for worker \(worker)")
                complete = false
                continue
            }
            say("metric \(label){worker=\"\(worker)\"} \(value)")
        }
    }
    return complete
}

LoggingSystem.bootstrap { AppLogHandler(label: $0) }
let metrics = TestMetrics()
MetricsSystem.bootstrap(metrics)

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let logger = Logger(label: "ServiceExample")
let runtime = URingRuntimeFactory.shared
runtime.useLogger(Logger(label: "swift-uring"))

let listener: TCPListener
do {
    listener = try TCPListener(binding: try SocketAddress(ipAddress: options.host, port: options.port))
} catch {
    logger.error("cannot listen on \(options.host):\(options.port): \(error)")
    exit(1)
}
logger.info("listening on \(listener.localAddress)", metadata: ["backend": "\(runtime.backend)"])

let echoService = TCPListenerService(
    listener: listener, gracePeriod: .seconds(5), logger: Logger(label: "ServiceExample.echo"), handler: echo)
let runtimeMetrics = URingRuntimeMetrics(runtime: runtime, interval: .seconds(1))
let group = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: [
            .init(service: runtime),
            .init(service: runtimeMetrics),
            .init(service: echoService),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))

do {
    try await group.run()
} catch {
    logger.error("service group failed: \(error)")
    exit(1)
}
let complete = reportMetrics(metrics, workers: runtime.executor.workerCount)
logger.info("stopped")
exit(complete ? 0 : 1)
