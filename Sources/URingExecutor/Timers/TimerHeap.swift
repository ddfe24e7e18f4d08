// The standalone JobTimers: a binary min-heap of (deadline, sequence, job) behind a lock.
//
// Deadlines are kept as nanoseconds since the heap's creation; `earliest` mirrors the
// root in an atomic (Int64.max when empty) so workers can check for due timers without
// the lock. The sequence number keeps jobs with equal deadlines in FIFO order.

import Synchronization

/// The standalone `JobTimers`: `Task.sleep` jobs in a min-heap by deadline, behind one
/// lock, with the earliest deadline mirrored in an atomic so workers check for due timers
/// without locking. Jobs with equal deadlines fire in the order they were scheduled. The
/// executor's default when no runtime supplies ring timers.
public final class TimerHeap: JobTimers {
    private struct Entry: Comparable {
        var deadline: Int64
        var sequence: UInt64
        var job: UnownedJob

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) == (rhs.deadline, rhs.sequence)
        }
    }

    private struct State {
        var entries = BinaryHeap<Entry>()
        var nextSequence: UInt64 = 0
    }

    private let origin = ContinuousClock.now
    private let state = ThreadLock(State())
    private let earliest = Atomic<Int64>(.max)

    /// An empty heap.
    public init() {}

    /// Number of pending timers.
    public var count: Int { state.withLock { $0.entries.count } }

    private func offset(of instant: ContinuousClock.Instant) -> Int64 {
        origin.duration(to: instant).saturatingNanoseconds
    }

    private func instant(at offset: Int64) -> ContinuousClock.Instant {
        origin.advanced(by: .nanoseconds(offset))
    }

    /// Keeps `job` until `deadline`; true when `deadline` is now the earliest pending one (the
    /// executor then wakes a worker to watch it). Any thread.
    public func schedule(_ job: UnownedJob, at deadline: ContinuousClock.Instant) -> Bool {
        let entry = offset(of: deadline)
        return state.withLock { state in
            let item = Entry(deadline: entry, sequence: state.nextSequence, job: job)
            state.nextSequence &+= 1
            state.entries.insert(item)
            let isEarliest = state.entries.min?.sequence == item.sequence
            if isEarliest { earliest.store(entry, ordering: .sequentiallyConsistent) }
            return isEarliest
        }
    }

    /// The earliest pending deadline, or nil when empty: one atomic load.
    public var nextDeadline: ContinuousClock.Instant? {
        let value = earliest.load(ordering: .sequentiallyConsistent)
        return value == .max ? nil : instant(at: value)
    }

    /// Whether a deadline is pending: one atomic load.
    public var hasPendingTimers: Bool { earliest.load(ordering: .sequentiallyConsistent) != .max }

    /// Removes every job due at `now` and passes each to `fire`, earliest first, after the
    /// lock is released (so `fire` may enqueue or schedule). Returns at once, without the
    /// lock, when nothing is due.
    public func fireDue(now: ContinuousClock.Instant, _ fire: (UnownedJob) -> Void) {
        let limit = offset(of: now)
        if earliest.load(ordering: .acquiring) > limit { return }
        var due: [UnownedJob] = []
        state.withLock { state in
            while let root = state.entries.popMin(if: { $0.deadline <= limit }) {
                due.append(root.job)
            }
            earliest.store(state.entries.min?.deadline ?? .max, ordering: .sequentiallyConsistent)
        }
        for job in due { fire(job) }
    }

    /// Removes every pending job and returns it with its deadline, earliest first (for
    /// `shutdown()`, which hands them on with the deadlines intact).
    public func removeAll() -> [(job: UnownedJob, deadline: ContinuousClock.Instant)] {
        let entries = state.withLock { state in
            var ordered: [Entry] = []
            while let entry = state.entries.popMin() { ordered.append(entry) }
            earliest.store(.max, ordering: .sequentiallyConsistent)
            return ordered
        }
        return entries.map { (job: $0.job, deadline: instant(at: $0.deadline)) }
    }
}
