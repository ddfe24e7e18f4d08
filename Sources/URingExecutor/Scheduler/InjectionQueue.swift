// The shared FIFO for jobs that do not start on a worker's own queue: jobs enqueued from
// threads outside the executor, and the overflow of full local queues.
//
// Any thread may push; workers pop. A lock guards the deque; `count` mirrors its length
// in an atomic so workers can skip the lock when the queue is empty. Once `close()` has
// run, pushes are refused (the caller forwards the job elsewhere) and `close()` hands
// back whatever was still queued, so nothing is dropped.

import Synchronization

final class InjectionQueue<Element: BitwiseCopyable & Sendable>: OverflowSink, Sendable {
    private struct State: ~Copyable {
        var jobs = GrowableRing<Element>()
        var isClosed = false
    }

    private let state = ThreadLock(State())
    private let length = Atomic<Int>(0)

    init() {}

    /// Queued elements; a hint that may be stale by the time the caller acts on it.
    var count: Int { length.load(ordering: .acquiring) }

    var isEmpty: Bool { count == 0 }

    /// Appends `element`, or returns false if the queue is closed.
    func push(_ element: Element) -> Bool {
        state.withLock { state in
            guard !state.isClosed else { return false }
            state.jobs.append(element)
            length.store(state.jobs.count, ordering: .releasing)
            return true
        }
    }

    func pushOverflow(_ batch: UnsafeBufferPointer<Element>) {
        state.withLock { state in
            precondition(!state.isClosed, "Internal inconsistency: overflow into a closed injection queue")
            for element in batch { state.jobs.append(element) }
            length.store(state.jobs.count, ordering: .releasing)
        }
    }

    func pop() -> Element? {
        if isEmpty { return nil }
        return state.withLock { state in
            let element = state.jobs.popFirst()
            length.store(state.jobs.count, ordering: .releasing)
            return element
        }
    }

    /// Pops one element to return and up to `limit - 1` more (handed to `more` after the
    /// lock is released, so `more` may push back into this queue), under one lock.
    func popBatch(limit: Int, _ more: (Element) -> Void) -> Element? {
        if isEmpty { return nil }
        return withUnsafeTemporaryAllocation(of: Element.self, capacity: max(limit, 1)) { extra in
            var extraCount = 0
            let first = state.withLock { state -> Element? in
                guard let first = state.jobs.popFirst() else { return nil }
                while extraCount + 1 < limit, let next = state.jobs.popFirst() {
                    extra[extraCount] = next
                    extraCount += 1
                }
                length.store(state.jobs.count, ordering: .releasing)
                return first
            }
            for index in 0..<extraCount { more(extra[index]) }
            return first
        }
    }

    /// Refuses all later pushes and returns what was still queued, oldest first.
    func close() -> [Element] {
        state.withLock { state in
            state.isClosed = true
            var rest: [Element] = []
            while let element = state.jobs.popFirst() { rest.append(element) }
            length.store(0, ordering: .releasing)
            return rest
        }
    }
}
