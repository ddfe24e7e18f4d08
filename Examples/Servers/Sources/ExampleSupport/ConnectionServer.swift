// The accept loop both example servers share: one task per connection from the
// listener's multishot accept, until the listener is closed (on a signal). Then the
// server drains at once: every open connection's receiving side is shut down
// (shutdown(SHUT_RD)), so a connection waiting for its next request sees the end of
// input and ends, and one answering a request finishes that answer (HTTPServer marks it
// `Connection: close`, see `ConnectionCounts.isDraining`) and ends. Connections still
// open after the grace period are cancelled (their pending receive is cancelled through
// the ring). Transient accept errors (EMFILE...) do not end the loop: the listener backs
// off and retries.

import Glibc
import Synchronization
import URing

/// Counts of one `serveConnections` run, and whether it is draining.
public final class ConnectionCounts: Sendable {
    public let accepted = Atomic<Int>(0)
    public let active = Atomic<Int>(0)
    /// Connections closed at once because `maximumConnections` were open.
    public let refused = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    public init() {}

    /// Whether the listener has closed and open connections are being drained: answer
    /// the request at hand with `Connection: close`, take no further one.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
}

/// The connections a `serveConnections` run has open, so that draining can shut their
/// receiving side down. A connection leaves before it is closed, so a descriptor number
/// shut down here is never one the process has reused meanwhile.
private final class OpenConnections: Sendable {
    private struct State {
        var streams: [Int: TCPStream] = [:]
        var nextID = 0
        var draining = false
    }

    private let state = Mutex(State())

    /// Registers `stream`; when already draining, its receiving side is shut down at once.
    func add(_ stream: TCPStream) -> Int {
        state.withLock { state in
            state.nextID += 1
            state.streams[state.nextID] = stream
            if state.draining { _ = shutdown(stream.descriptor.rawValue, Int32(SHUT_RD)) }
            return state.nextID
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.streams.removeValue(forKey: id) }
    }

    /// Shuts down the receiving side of every open connection (and of later ones).
    func drain() {
        state.withLock { state in
            state.draining = true
            for stream in state.streams.values { _ = shutdown(stream.descriptor.rawValue, Int32(SHUT_RD)) }
        }
    }
}

/// Accepts until `listener` is closed, running `handle` for each connection in its own
/// task and closing the connection when `handle` returns; then drains (see above), waits
/// up to `gracePeriod` for the connections and cancels the rest. A connection that
/// arrives while `maximumConnections` are open is closed at once. `name` prefixes the
/// lines it prints.
public func serveConnections(
    _ listener: TCPListener, name: String, gracePeriod: Duration, counts: ConnectionCounts,
    maximumConnections: Int = .max, handle: @escaping @Sendable (TCPStream) async -> Void
) async {
    let open = OpenConnections()
    await withDiscardingTaskGroup { group in
        do {
            for try await stream in listener.connections {
                counts.accepted.add(1, ordering: .relaxed)
                guard counts.active.load(ordering: .relaxed) < maximumConnections else {
                    counts.refused.add(1, ordering: .relaxed)
                    try? await stream.close()
                    continue
                }
                counts.active.add(1, ordering: .relaxed)
                let id = open.add(stream)
                group.addTask {
                    await handle(stream)
                    open.remove(id)
                    try? await stream.close()
                    counts.active.subtract(1, ordering: .relaxed)
                }
            }
        } catch {
            say("\(name): accept loop ended: \(error)")
        }
        counts.draining.store(true, ordering: .relaxed)
        open.drain()
        let deadline = ContinuousClock.now + gracePeriod
        while counts.active.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let remaining = counts.active.load(ordering: .relaxed)
        if remaining > 0 {
            say("\(name): cancelling \(remaining) connection(s) still open after \(gracePeriod)")
            group.cancelAll()
        }
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
