// EchoServer: a TCP echo server on swift-uring, with the runtime as the process-default
// executor (URingRuntimeFactory), so every task runs on a ring-owning worker.
//
//   swift run EchoServer [--port N] [--host 127.0.0.1]     (in Examples/Servers)
//
// One task per connection, from one multishot accept (`listener.connections`), served by
// a TCPListenerService in a ServiceGroup (ExampleSupport's serveConnections). Ctrl-C
// (SIGINT) or SIGTERM shuts the group down gracefully: the listener closes, which ends
// the accept loop at once; each open connection's receiving side is shut down, so it
// echoes what it already has and ends; the rest are cancelled after `gracePeriod`; then
// a summary is printed and the process exits 0. A runtime that cannot start exits 1
// with the reason.

@_spi(ExperimentalCustomExecutors) import URing
@_spi(ExperimentalCustomExecutors) import _Concurrency
import ExampleSupport
import Glibc
import Synchronization
import URingExecutor

/// URingRuntimeFactory, after checking that a runtime can start here: the concurrency
/// runtime asks for the default executor before main's first line, and a runtime that
/// cannot start would otherwise stop the program with a trap.
struct DefaultExecutorFactory: ExecutorFactory {
    static var mainExecutor: any MainExecutor { URingRuntimeFactory.mainExecutor }
    static var defaultExecutor: any TaskExecutor {
        exitUnlessRuntimeStarts(name: "EchoServer")
        return URingRuntimeFactory.defaultExecutor
    }
}

/// Counters shared by the connection tasks.
final class EchoStatistics: Sendable {
    let connections = ConnectionCounts()
    let echoedBytes = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}

/// How long open connections may take to finish after the listener closed.
let gracePeriod = Duration.seconds(2)

/// Echoes what `stream` receives until the peer ends it (the listener service closes it).
func echo(_ stream: TCPStream, statistics: EchoStatistics) async {
    // Safety: owned by this task, freed after the last receive/send returned (the ring
    // no longer touches it then).
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    defer { buffer.deallocate() }
    do {
        while true {
            let count = try await stream.receive(into: buffer)
            if count == 0 { break }
            try await stream.send(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            statistics.echoedBytes.add(count, ordering: .relaxed)
        }
    } catch is CancellationError {
        // Shutdown cancelled a connection that outlived the grace period.
    } catch {
        statistics.failed.add(1, ordering: .relaxed)
    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))

let status = await Task.detached { () -> Int32 in
    let listener: TCPListener
    do {
        listener = try TCPListener(binding: try SocketAddress(ipAddress: options.host, port: options.port))
    } catch {
        complain("EchoServer: cannot listen on \(options.host):\(options.port): \(error)")
        return 1
    }

    let statistics = EchoStatistics()
    do {
        try await serveConnections(
            listener, name: "EchoServer", announcement: "EchoServer: listening on \(listener.localAddress)",
            gracePeriod: gracePeriod, counts: statistics.connections
        ) { stream in await echo(stream, statistics: statistics) }
    } catch {
        complain("EchoServer: \(error)")
        return 1
    }
    say("""
        EchoServer: stopped; \(statistics.connections.accepted.load(ordering: .relaxed)) connection(s), \
        \(statistics.echoedBytes.load(ordering: .relaxed)) byte(s) echoed, \
        \(statistics.failed.load(ordering: .relaxed)) failed
        """)
    return 0
}.value
exit(status)
