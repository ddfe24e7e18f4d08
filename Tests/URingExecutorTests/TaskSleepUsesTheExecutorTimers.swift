import Testing

@testable import URingExecutor

@Suite("Task.sleep on the executor")
struct TaskSleepUsesTheExecutorTimers {
    @Test("Task.sleep waits at least its duration, resumes on a worker, and goes through the executor's timers")
    func sleepResumesOnWorker() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let elapsed = try await withWatchdog(seconds: 10, on: executor) { () -> (Duration, Bool) in
            let start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(50))
            return (ContinuousClock.now - start, executor.isCurrentWorkerThread)
        }
        let (duration, onWorker) = try #require(elapsed)
        #expect(duration >= .milliseconds(50))
        // The upper bound is the watchdog's (a loaded machine may run the task late).
        #expect(onWorker)
        #expect(executor.metrics.timersFired >= 1)
    }

    @Test("sleeps with different deadlines end in deadline order, also when several are due at once (one worker)")
    func sleepsEndInOrder() async throws {
        let executor = try URingExecutor(workers: 1)
        defer { executor.shutdown() }
        let order = Locked<[Int]>([])
        _ = try await withWatchdog(seconds: 10, on: executor) {
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for delay in [40, 10, 30, 20, 0] {
                    group.addTask {
                        try await Task.sleep(until: start + .milliseconds(delay * 3), clock: .continuous)
                        order.withLock { $0.append(delay) }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(order.value == [0, 10, 20, 30, 40])
    }

    @Test("a cancelled sleep ends early with CancellationError")
    func cancelledSleep() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let outcome = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            let sleeper = Task(executorPreference: executor) { () -> Bool in
                do {
                    try await Task.sleep(for: .seconds(30))
                    return false
                } catch {
                    return error is CancellationError
                }
            }
            try await Task.sleep(for: .milliseconds(10))
            sleeper.cancel()
            return await sleeper.value
        }
        #expect(outcome == true)
    }
}
