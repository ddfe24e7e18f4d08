// A task that waits on I/O resumes on the worker whose parker completed the wait, so an
// uneven split of such tasks never evens out by stealing alone: the worker holding few of
// them finds their completions at every poll and never runs dry long enough to steal. A
// worker whose queue ran dry takes part of a larger peer backlog before polling
// (Worker.takePeerBacklog). Here the I/O is a parker that completes every wait registered
// with it at its owner's next poll or park, and the split is forced: 30 tasks on one
// worker, 2 on the other.

import Synchronization
import Testing

@testable import URingExecutor

@Suite("An uneven split of I/O-bound tasks")
struct AnUnevenSplitOfIOBoundTasksEvensOut {
    @Test("30 I/O-bound tasks on one worker and 2 on the other end up split about evenly")
    func unevenSplitEvensOut() async throws {
        let tasks = 32
        let parkers = Locked<[Int: ImmediateIOParker]>([:])
        let executor = try URingExecutor(workers: 2, stallThreshold: nil) { index in
            let parker = ImmediateIOParker()
            parkers.withLock { $0[index] = parker }
            return parker
        }
        let stop = Locked<Bool>(false)
        defer {
            // Also after a watchdog timeout, when the tasks still loop: they stop at their
            // next wait, and the waits left in the parkers after shutdown resume off the
            // workers (ImmediateIOParker.wait), see `stop` and end.
            stop.withLock { $0 = true }
            executor.shutdown()
            for parker in parkers.value.values { parker.poll() }
        }
        let placement = Locked<[UnsafeContinuation<Void, Never>]>([])
        let lastWorker = Locked<[Int]>(Array(repeating: -1, count: tasks))

        let split = try await withWatchdog(seconds: 120, on: executor) { () -> [Int] in
            await withTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        await withUnsafeContinuation { continuation in placement.withLock { $0.append(continuation) } }
                        while !stop.value {
                            await ImmediateIOParker.wait()
                            let worker = URingExecutor.currentWorkerIndex ?? -1
                            lastWorker.withLock { $0[task] = worker }
                        }
                    }
                }
                while placement.value.count < tasks { try? await Task.sleep(for: .milliseconds(1)) }
                // The split: 30 tasks resume on worker 0 (its parker completes their
                // waits), 2 on worker 1.
                let waiting = placement.withLock { list in
                    defer { list = [] }
                    return list
                }
                let (first, second) = parkers.withLock { ($0[0]!, $0[1]!) }
                first.add(waiting[..<30])
                second.add(waiting[30...])
                first.unpark()
                second.unpark()
                // Until the split is about even, or each worker has completed 200,000
                // operations since the split, or 60 s have passed (then it stayed
                // uneven). Not after a fixed count: in several runs of 40 the worker
                // holding 2 tasks looked at its peer's queue 500 times in its first 1,000
                // operations and found it empty each time, though its peer's polls handed
                // back 30 (the two threads took turns on one CPU, handing it over between
                // batches, where each yields); the split evened out later, once they ran
                // side by side.
                let (firstStart, secondStart) = (first.operationsCompleted, second.operationsCompleted)
                let giveUp = ContinuousClock.now + .seconds(60)
                var split = [0, 0]
                while true {
                    split = lastWorker.withLock { workers in (0..<2).map { index in workers.count { $0 == index } } }
                    if split.min()! >= 8 { break }
                    if first.operationsCompleted - firstStart >= 200_000, second.operationsCompleted - secondStart >= 200_000 {
                        break
                    }
                    if ContinuousClock.now >= giveUp { break }
                    try? await Task.sleep(for: .milliseconds(1))
                }
                stop.withLock { $0 = true }
                return split
            }
        }
        let counts = try #require(split)
        // Left alone the split stays 30 / 2.
        #expect(counts.min()! >= 8, "tasks per worker when the wait for an even split ended: \(counts)")
    }
}

/// A parker whose I/O completes at once: a wait registered on a worker resumes at that
/// worker's next poll or park, on that worker (as a ring's completion does).
private final class ImmediateIOParker: Parker {
    private let parker = ConditionParker()
    private let pending = Mutex<[UnsafeContinuation<Void, Never>]>([])
    private let completed = Atomic<Int>(0)

    /// Waits for one operation of the parker of the worker running the caller; off the
    /// workers (after shutdown) it returns at once.
    static func wait() async {
        await withUnsafeContinuation { continuation in
            // Runs on the thread that runs the task, before it suspends.
            guard let parker = URingExecutor.current?.parker as? ImmediateIOParker else {
                continuation.resume()
                return
            }
            parker.add(CollectionOfOne(continuation))
        }
    }

    func add<Waits: Collection<UnsafeContinuation<Void, Never>>>(_ waits: Waits) {
        pending.withLock { $0.append(contentsOf: waits) }
    }

    func poll() { completeAll() }

    func park(deadline: ContinuousClock.Instant?) {
        if completeAll() > 0 { return }
        parker.park(deadline: deadline)
        completeAll()
    }

    func unpark() { parker.unpark() }

    var operationsCompleted: Int { completed.load(ordering: .relaxed) }

    @discardableResult
    private func completeAll() -> Int {
        let ready = pending.withLock { list in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        for continuation in ready { continuation.resume() }
        completed.add(ready.count, ordering: .relaxed)
        return ready.count
    }
}
