// The standalone JobTimers: a binary min-heap of (deadline, sequence, job) behind a lock.
//
// Deadlines are kept as nanoseconds since the heap's creation; `earliest` mirrors the
// root in an atomic (Int64.max when empty) so workers can check for due timers without
// the lock. The sequence number keeps jobs with equal deadlines in FIFO order.

import Synchronization

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

    public init() {}

    /// Number of pending timers.
    public var count: Int { state.withLock { $0.entries.count } }

    private func offset(of instant: ContinuousClock.Instant) -> Int64 {
        origin.duration(to: instant).saturatingNanoseconds
    }

    private func instant(at offset: Int64) -> ContinuousClock.Instant {
        origin.advanced(by: .nanoseconds(offset))
    }

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

    public var nextDeadline: ContinuousClock.Instant? {
        let value = earliest.load(ordering: .sequentiallyConsistent)
        return value == .max ? nil : instant(at: value)
    }

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
