import Dispatch
import Glibc
import Synchronization
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

    @Test("Task.sleep ends while the global executor's threads are all blocked")
    func sleepWhileGlobalPoolBlocked() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let release = DispatchSemaphore(value: 0)
        let counts = PoolBlockerCounts()
        // Blockers hold the global pool's threads until the sleep has ended; 30 s is only a
        // hang watchdog. Task.sleep's wake-up (a task with no preference) must run where
        // the timer fired: sent through the global executor it could not run before them.
        let blockers = (0..<cores + 2).map { _ in
            Task.detached {
                counts.started.wrappingAdd(1, ordering: .relaxed)
                if release.wait(timeout: .now() + 30) == .timedOut { counts.timedOut.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        let slept = Task(executorPreference: executor) { () -> Duration in
            let allStarted = ContinuousClock.now + .seconds(30)
            while counts.started.load(ordering: .relaxed) < cores && ContinuousClock.now < allStarted {
                usleep(1_000)
            }
            let start = ContinuousClock.now
            defer { for _ in 0..<cores + 2 { release.signal() } }
            try await Task.sleep(for: .milliseconds(10))
            return ContinuousClock.now - start
        }
        // This test's own task runs on the global pool: it waits here until the sleeper
        // (on the executor) has released the blockers.
        let result = await slept.result
        for blocker in blockers { await blocker.value }
        #expect(try result.get() >= .milliseconds(10))
        #expect(counts.started.load(ordering: .relaxed) == cores + 2)
        #expect(counts.timedOut.load(ordering: .relaxed) == 0, "Task.sleep's wake-up waited for a blocked global-executor thread")
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

/// What the global-pool blockers report, shared with their tasks.
private final class PoolBlockerCounts: Sendable {
    let started = Atomic<Int>(0)
    let timedOut = Atomic<Int>(0)
}
