// How both example servers run: the listener as a swift-uring `TCPListenerService` in a
// swift-service-lifecycle `ServiceGroup`, with the process-default runtime first and the
// server's own services (HTTPServer's timeout sweeper) between them. SIGTERM or SIGINT
// shuts the group down gracefully, in reverse order: the listener service closes the
// listener (accepting stops at once), shuts each open connection's receiving side down
// (shutdown(SHUT_RD)), so a connection waiting for its next request sees the end of
// input and ends, and one answering a request finishes that answer (HTTPServer marks it
// `Connection: close`: it sees `Task.isShuttingDownGracefully`) and ends; connections
// still open after the grace period are cancelled. Then the other services return and
// so does `serveConnections`. A second signal while shutting down changes nothing (the
// group ignores both signals from the first on); the grace period bounds the drain.
// Transient accept errors (EMFILE...) do not end the accept loop: the listener backs off
// and retries (TCPListener's own behaviour).

import Glibc
import Logging
import ServiceLifecycle
import Synchronization
@_spi(ExperimentalCustomExecutors) import URing

/// Counts of one `serveConnections` run.
public final class ConnectionCounts: Sendable {
    /// Connections accepted, refused ones included.
    public let accepted = Atomic<Int>(0)
    public let active = Atomic<Int>(0)
    /// Connections closed at once because `maximumConnections` were open.
    public let refused = Atomic<Int>(0)
    public init() {}
}

/// Serves `listener` until SIGTERM or SIGINT, then drains (see above) and returns:
/// runs `handle` for each connection in its own task and closes the connection when
/// `handle` returns. A connection that arrives while `maximumConnections` are open is
/// closed at once (and counted in `counts.refused`). `services` run in the same group,
/// after the runtime and before the listener (so they stop after it). `announcement` is
/// printed once the group has taken over SIGTERM and SIGINT, so a signal that follows it
/// always shuts down gracefully. Log lines go to swift-log with the label `name`.
///
/// - Throws: what the group throws: an accept error that ended the loop, a failed service.
public func serveConnections(
    _ listener: TCPListener, name: String, announcement: String, gracePeriod: Duration, counts: ConnectionCounts,
    maximumConnections: Int = .max, services: [any Service] = [],
    handle: @escaping @Sendable (TCPStream) async -> Void
) async throws {
    let logger = Logger(label: name)
    // The limit is counted here rather than with TCPListenerService's `maximumConnections`,
    // which closes such a connection without telling anyone: the summary counts refusals.
    let server = TCPListenerService(listener: listener, gracePeriod: gracePeriod, logger: logger) { stream in
        counts.accepted.add(1, ordering: .relaxed)
        guard counts.active.add(1, ordering: .relaxed).newValue <= maximumConnections else {
            counts.active.subtract(1, ordering: .relaxed)
            counts.refused.add(1, ordering: .relaxed)
            return
        }
        defer { counts.active.subtract(1, ordering: .relaxed) }
        await handle(stream)
    }
    let all: [any Service] = [URingRuntimeFactory.shared] + services + [Announced(server, line: announcement)]
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: all.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await group.run()
}

/// A service that prints `line` when it starts: the group has installed its signal
/// handling by then.
private struct Announced<Base: Service>: Service {
    let base: Base
    let line: String

    init(_ base: Base, line: String) {
        self.base = base
        self.line = line
    }

    func run() async throws {
        say(line)
        try await base.run()
    }
}

/// Starts (and stops) a one-worker runtime with the process's configuration before the
/// default one is made: a runtime that cannot start (an invalid SWIFT_URING_BACKEND,
/// io_uring blocked with SWIFT_URING_BACKEND=io_uring) ends the program with
/// `complain("\(name): ...")` and status 1, not with a trap in URingRuntimeFactory.
/// Called from the examples' ExecutorFactory, before the concurrency runtime starts.
public func exitUnlessRuntimeStarts(name: String) {
    do {
        let runtime = try URingRuntime(URingRuntime.Configuration(workers: 1))
        runtime.shutdown()
    } catch {
        complain("\(name): cannot start the swift-uring runtime: \(error)")
        exit(1)
    }
}
