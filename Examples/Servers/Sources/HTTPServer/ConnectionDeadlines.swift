// ConnectionDeadlines: the header, idle and write timeouts of every open connection,
// enforced by one sweeper task instead of a deadline on each receive and send.
//
// Why not `URingRuntime.withDeadline` around each call: a receive with a deadline is a
// plain recv into the caller's buffer (a multishot receive cannot carry a deadline), so
// an idle connection would pin a receive buffer of its own for as long as it waits, and
// every request would cost a linked timeout SQE (and its CQE) on the receive and on each
// send. Here a connection only stores its current deadline (a relaxed atomic store per
// phase); the sweeper wakes every `tick`, and for each connection whose deadline has
// passed it marks the connection expired and shuts its socket down in both directions
// (shutdown(2)): a waiting receive then sees the end of the stream and a blocked send
// fails with EPIPE, so the connection ends and `serveHTTP` counts it as timed out. The
// precision is one tick (a tenth of the shortest timeout, between 10 and 250 ms).
//
// A connection unregisters before it is closed (serveHTTP returns first), and the
// sweeper shuts sockets down only under the registry's lock, so it never touches a
// descriptor number the process has reused. The sweeper is a Service in the server's
// ServiceGroup, listed before the listener service: it stops on graceful shutdown once
// the listener's connections have drained.

import Glibc
import ServiceLifecycle
import Synchronization
import URing

final class ConnectionDeadlines: Service {
    /// One connection's deadline.
    final class Entry: Sendable {
        let stream: TCPStream
        /// Nanoseconds on CLOCK_MONOTONIC; 0 while no phase is timed.
        fileprivate let deadline = Atomic<Int64>(0)
        fileprivate let expiredFlag = Atomic<Bool>(false)
        fileprivate let id: Int

        fileprivate init(stream: TCPStream, id: Int) {
            self.stream = stream
            self.id = id
        }

        /// The current phase must end within `duration` from now.
        func expire(after duration: Duration) {
            deadline.store(ConnectionDeadlines.now() &+ duration.nanoseconds, ordering: .relaxed)
        }

        /// The current phase must end by `instant` (nanoseconds, `ConnectionDeadlines.now()`).
        func expire(at instant: Int64) {
            deadline.store(instant, ordering: .relaxed)
        }

        /// Whether the sweeper cut this connection short.
        var expired: Bool { expiredFlag.load(ordering: .relaxed) }
    }

    let tick: Duration
    private struct State {
        var entries: [Int: Entry] = [:]
        var nextID = 0
    }
    private let state = Mutex(State())

    init(timeouts: HTTPTimeouts) {
        let shortest = min(timeouts.header, timeouts.idle, timeouts.write)
        tick = max(.milliseconds(10), min(.milliseconds(250), shortest / 10))
    }

    /// Nanoseconds on CLOCK_MONOTONIC.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    func register(_ stream: TCPStream) -> Entry {
        state.withLock { state in
            state.nextID += 1
            let entry = Entry(stream: stream, id: state.nextID)
            state.entries[entry.id] = entry
            return entry
        }
    }

    /// Must run before the stream is closed.
    func unregister(_ entry: Entry) {
        _ = state.withLock { $0.entries.removeValue(forKey: entry.id) }
    }

    /// Sweeps until graceful shutdown or cancellation.
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.tick)
                self.sweep(now: Self.now())
            }
        }
    }

    private func sweep(now: Int64) {
        state.withLock { state in
            for entry in state.entries.values {
                let deadline = entry.deadline.load(ordering: .relaxed)
                // The exchange fails if the connection moved on to its next phase meanwhile.
                guard deadline != 0 && deadline <= now,
                    entry.deadline.compareExchange(expected: deadline, desired: 0, ordering: .relaxed).exchanged
                else { continue }
                entry.expiredFlag.store(true, ordering: .relaxed)
                _ = shutdown(entry.stream.descriptor.rawValue, Int32(SHUT_RDWR))
            }
        }
    }
}

extension Duration {
    /// Whole nanoseconds (Options caps timeouts at 10^6 s, far from overflowing).
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ attoseconds / 1_000_000_000
    }
}
