// The accept loop both example servers share: one task per connection from the
// listener's multishot accept, until the listener is closed (on a signal); then open
// connections get a grace period, and the ones still open are cancelled (their pending
// receive is cancelled through the ring).

import Synchronization
import URing

/// Counts of one `serveConnections` run.
public final class ConnectionCounts: Sendable {
    public let accepted = Atomic<Int>(0)
    public let active = Atomic<Int>(0)
    public init() {}
}

/// Accepts until `listener` is closed, running `handle` for each connection in its own
/// task, then waits up to `gracePeriod` for them and cancels the rest. `name` prefixes
/// the lines it prints.
public func serveConnections(
    _ listener: TCPListener, name: String, gracePeriod: Duration, counts: ConnectionCounts,
    handle: @escaping @Sendable (TCPStream) async -> Void
) async {
    await withDiscardingTaskGroup { group in
        do {
            for try await stream in listener.connections {
                counts.accepted.add(1, ordering: .relaxed)
                counts.active.add(1, ordering: .relaxed)
                group.addTask {
                    await handle(stream)
                    counts.active.subtract(1, ordering: .relaxed)
                }
            }
        } catch {
            say("\(name): accept loop ended: \(error)")
        }
        let deadline = ContinuousClock.now + gracePeriod
        while counts.active.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let remaining = counts.active.load(ordering: .relaxed)
        if remaining > 0 {
            say("\(name): cancelling \(remaining) connection(s) still open after \(gracePeriod)")
            group.cancelAll()
        }
    }
}
