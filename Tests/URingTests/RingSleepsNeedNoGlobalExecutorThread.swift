import Dispatch
import Glibc
import Synchronization
import Testing
import URing
import URingExecutor

// The tests block every thread of Swift's global executor for as long as their sleep
// lasts, so they run one at a time (.serialized): two at once would each hold part of the
// pool and wait for the rest.
@Suite("Sleeps need no global executor thread", .requiresIOURing, .serialized)
struct RingSleepsNeedNoGlobalExecutorThread {
    @Test("URingRuntime.sleep ends while the global executor's threads are all blocked")
    func ringSleepWhileGlobalPoolBlocked() async throws {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let blockerCount = cores + 2
        let release = DispatchSemaphore(value: 0)
        let counts = BlockerCounts()
        try await withRuntime { _ in
            // Blockers hold the cooperative pool's threads until the ring sleep has ended;
            // 30 s is only a hang watchdog. A sleep whose wake-up needed a pool thread could
            // not end before them: they would run into the watchdog.
            let blockers = (0..<blockerCount).map { _ in
                Task.detached {
                    counts.started.wrappingAdd(1, ordering: .relaxed)
                    if release.wait(timeout: .now() + 30) == .timedOut {
                        counts.timedOut.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            }
            let allStarted = ContinuousClock.now + .seconds(30)
            while counts.started.load(ordering: .relaxed) < cores && ContinuousClock.now < allStarted {
                try await URingRuntime.sleep(for: .milliseconds(1))
            }
            try await URingRuntime.sleep(for: .milliseconds(10))
            for _ in 0..<blockerCount { release.signal() }
            for blocker in blockers { await blocker.value }
        }
        #expect(counts.started.load(ordering: .relaxed) == blockerCount)
        #expect(counts.timedOut.load(ordering: .relaxed) == 0, "the ring sleep waited for a blocked global-executor thread")
    }

    @Test("Task.sleep in a task with the runtime's preference ends while the global executor's threads are all blocked")
    func taskSleepWhileGlobalPoolBlocked() async throws {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let blockerCount = cores + 2
        let release = DispatchSemaphore(value: 0)
        let counts = BlockerCounts()
        try await withRuntime { runtime in
            // As above, but the sleep is Task.sleep in a task that prefers the runtime: its
            // wake-up is a task of the standard library's with no preference, which the
            // timer must run where it fires, not send through the blocked global executor.
            let blockers = (0..<blockerCount).map { _ in
                Task.detached {
                    counts.started.wrappingAdd(1, ordering: .relaxed)
                    if release.wait(timeout: .now() + 30) == .timedOut {
                        counts.timedOut.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            }
            let allStarted = ContinuousClock.now + .seconds(30)
            while counts.started.load(ordering: .relaxed) < cores && ContinuousClock.now < allStarted {
                try await URingRuntime.sleep(for: .milliseconds(1))
            }
            try await Task(executorPreference: runtime.executor) {
                try await Task.sleep(for: .milliseconds(10))
            }.value
            for _ in 0..<blockerCount { release.signal() }
            for blocker in blockers { await blocker.value }
        }
        #expect(counts.started.load(ordering: .relaxed) == blockerCount)
        #expect(counts.timedOut.load(ordering: .relaxed) == 0, "Task.sleep's wake-up waited for a blocked global-executor thread")
    }

    @Test("Task.sleep on a standalone URingExecutor ends while the global executor's threads are all blocked")
    func executorSleepWhileGlobalPoolBlocked() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let blockerCount = cores + 2
        let release = DispatchSemaphore(value: 0)
        let counts = BlockerCounts()
        // The standalone executor keeps sleeps in its TimerHeap. The blockers hold the
        // pool's threads until the sleep has ended (30 s is only a hang watchdog); the
        // waiting and the sleep run on the executor, since this test's own task runs on the
        // blocked pool.
        let blockers = (0..<blockerCount).map { _ in
            Task.detached {
                counts.started.wrappingAdd(1, ordering: .relaxed)
                if release.wait(timeout: .now() + 30) == .timedOut {
                    counts.timedOut.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
        let slept = Task(executorPreference: executor) { () -> Duration in
            defer { for _ in 0..<blockerCount { release.signal() } }
            let allStarted = ContinuousClock.now + .seconds(30)
            while counts.started.load(ordering: .relaxed) < cores && ContinuousClock.now < allStarted {
                try await Task.sleep(for: .milliseconds(1))
            }
            let start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(10))
            return ContinuousClock.now - start
        }
        let result = await slept.result
        for blocker in blockers { await blocker.value }
        #expect(try result.get() >= .milliseconds(10))
        #expect(counts.started.load(ordering: .relaxed) == blockerCount)
        #expect(counts.timedOut.load(ordering: .relaxed) == 0, "Task.sleep's wake-up waited for a blocked global-executor thread")
        #expect(executor.metrics.timersFired >= 1)
    }
}

/// What the blockers report, shared with their tasks.
private final class BlockerCounts: Sendable {
    let started = Atomic<Int>(0)
    let timedOut = Atomic<Int>(0)
}
