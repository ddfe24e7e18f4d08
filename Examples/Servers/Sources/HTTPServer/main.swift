// HTTPServer: a small HTTP/1.1 static-file server on swift-uring (keep-alive, GET and
// HEAD), with the runtime as the process-default executor (URingRuntimeFactory).
//
//   swift run HTTPServer --root DIR [--port N] [--host 127.0.0.1]   (in Examples/Servers)
//   swift run HTTPServer --self-test      (the request parser's checks, no sockets)
//
// One task per connection (HTTPConnection), from one multishot accept, served by a
// TCPListenerService in a ServiceGroup together with the timeout sweeper
// (ConnectionDeadlines; see ExampleSupport's serveConnections). Ctrl-C (SIGINT) or
// SIGTERM shuts the group down gracefully: the listener closes, which ends the accept
// loop at once; then connections drain: idle keep-alive ones are closed at once, a
// request being answered gets its answer with `Connection: close`
// (`Task.isShuttingDownGracefully`), anything still open after `gracePeriod` is
// cancelled; then the sweeper stops, a summary is printed and the process exits 0. A
// runtime that cannot start exits 1 with the reason.

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
        exitUnlessRuntimeStarts(name: "HTTPServer")
        return URingRuntimeFactory.defaultExecutor
    }
}

/// Counters shared by the connection tasks.
final class ServerStatistics: Sendable {
    let connections = ConnectionCounts()
    let requests = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    /// Connections closed because a timeout passed.
    let timedOut = Atomic<Int>(0)
}

/// How long open connections may take to finish after the listener closed.
let gracePeriod = Duration.seconds(2)

/// Serves one connection until it ends (the listener service closes it).
func serveHTTP(
    _ stream: TCPStream, root: ServedRoot, statistics: ServerStatistics, timeouts: HTTPTimeouts,
    deadlines: ConnectionDeadlines
) async {
    // As NIO's ServerBootstrap does by default: a response's last segment must not wait
    // for the client's delayed ACK.
    try? stream.setNoDelay(true)
    let deadline = deadlines.register(stream)
    defer { deadlines.unregister(deadline) }
    let connection = HTTPConnection(
        stream: stream, root: root, statistics: statistics, timeouts: timeouts, deadline: deadline)
    do {
        try await connection.run()
    } catch is CancellationError {
        // Shutdown cancelled a connection that outlived the grace period.
    } catch where !deadline.expired {
        statistics.failed.add(1, ordering: .relaxed)
    } catch {}
    // A timeout shuts the socket down: the connection saw the end of input or a failed send.
    if deadline.expired { statistics.timedOut.add(1, ordering: .relaxed) }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if options.selfTest { exit(ParserSelfTest.run()) }

let status = await Task.detached { () -> Int32 in
    let listener: TCPListener
    let root: ServedRoot
    do {
        do {
            root = try await ServedRoot.open(options.root, followsSymlinksOut: options.followSymlinks)
        } catch {
            complain("HTTPServer: --root \(options.root) is not a directory we can open: \(error)")
            return 2
        }
        listener = try TCPListener(binding: try SocketAddress(ipAddress: options.host, port: options.port), backlog: 1024)
    } catch {
        complain("HTTPServer: cannot serve \(options.root) on \(options.host):\(options.port): \(error)")
        return 1
    }

    let statistics = ServerStatistics()
    let timeouts = options.timeouts
    let deadlines = ConnectionDeadlines(timeouts: timeouts)
    do {
        try await serveConnections(
            listener, name: "HTTPServer", announcement: "HTTPServer: serving \(options.root) on http://\(listener.localAddress)/",
            gracePeriod: gracePeriod, counts: statistics.connections, maximumConnections: options.maximumConnections,
            services: [deadlines]
        ) { stream in
            await serveHTTP(stream, root: root, statistics: statistics, timeouts: timeouts, deadlines: deadlines)
        }
    } catch {
        complain("HTTPServer: \(error)")
        await root.close()
        return 1
    }
    await root.close()
    say("""
        HTTPServer: stopped; \(statistics.connections.accepted.load(ordering: .relaxed)) connection(s), \
        \(statistics.requests.load(ordering: .relaxed)) request(s), \
        \(statistics.failed.load(ordering: .relaxed)) connection error(s), \
        \(statistics.timedOut.load(ordering: .relaxed)) timed out, \
        \(statistics.connections.refused.load(ordering: .relaxed)) refused (--max-connections)
        """)
    return 0
}.value
exit(status)
