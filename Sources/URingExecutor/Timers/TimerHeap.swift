// The standalone JobTimers: a binary min-heap of (deadline, sequence, job) behind a lock.
//
// Deadlines are kept as nanoseconds since the heap's creation; `earliest` mirrors the
// root in an atomic (Int64.max when empty) so workers can check for due timers without
// the lock. The sequence number keeps jobs with equal deadlines in FIFO order.

import Synchronization

public final class TimerHeap: JobTimers {
    private struct Entry {
        var deadline: Int64
        var sequence: UInt64
        var job: UnownedJob

        func fires(before other: Entry) -> Bool {
            (deadline, sequence) < (other.deadline, other.sequence)
        }
    }

    private struct State {
        var entries: [Entry] = []
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
            Self.push(item, into: &state.entries)
            let isEarliest = state.entries[0].sequence == item.sequence
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
            while let root = state.entries.first, root.deadline <= limit {
                due.append(Self.popRoot(from: &state.entries).job)
            }
            earliest.store(state.entries.first?.deadline ?? .max, ordering: .sequentiallyConsistent)
        }
        for job in due { fire(job) }
    }

    public func removeAll() -> [(job: UnownedJob, deadline: ContinuousClock.Instant)] {
        let entries = state.withLock { state in
            var ordered: [Entry] = []
            while !state.entries.isEmpty { ordered.append(Self.popRoot(from: &state.entries)) }
            earliest.store(.max, ordering: .sequentiallyConsistent)
            return ordered
        }
        return entries.map { (job: $0.job, deadline: instant(at: $0.deadline)) }
    }

    private static func push(_ entry: Entry, into heap: inout [Entry]) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !heap[child].fires(before: heap[parent]) { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func popRoot(from heap: inout [Entry]) -> Entry {
        let root = heap[0]
        let last = heap.removeLast()
        if heap.isEmpty { return root }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count && heap[left].fires(before: heap[first]) { first = left }
            if right < heap.count && heap[right].fires(before: heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return root
    }
}
