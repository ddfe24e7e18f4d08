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
        let pool = GlobalPoolBlockers()
        try await withRuntime { _ in
            // A sleep whose wake-up needed a pool thread could not end before the blockers
            // let go: they would run into their watchdog.
            let blockers = pool.start()
            try await pool.waitUntilBusy { try await URingRuntime.sleep(for: .milliseconds(1)) }
            try await URingRuntime.sleep(for: .milliseconds(10))
            pool.release()
            for blocker in blockers { await blocker.value }
        }
        pool.expectNoneTimedOut("the ring sleep waited for a blocked global-executor thread")
    }

    @Test("Task.sleep in a task with the runtime's preference ends while the global executor's threads are all blocked")
    func taskSleepWhileGlobalPoolBlocked() async throws {
        let pool = GlobalPoolBlockers()
        try await withRuntime { runtime in
            // As above, but the sleep is Task.sleep in a task that prefers the runtime: its
            // wake-up is a task of the standard library's with no preference, which the
            // timer must run where it fires, not send through the blocked global executor.
            let blockers = pool.start()
            try await pool.waitUntilBusy { try await URingRuntime.sleep(for: .milliseconds(1)) }
            try await Task(executorPreference: runtime.executor) {
                try await Task.sleep(for: .milliseconds(10))
            }.value
            pool.release()
            for blocker in blockers { await blocker.value }
        }
        pool.expectNoneTimedOut("Task.sleep's wake-up waited for a blocked global-executor thread")
    }

    @Test("Task.sleep on a standalone URingExecutor ends while the global executor's threads are all blocked")
    func executorSleepWhileGlobalPoolBlocked() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let pool = GlobalPoolBlockers()
        // The standalone executor keeps sleeps in its TimerHeap. The waiting and the sleep
        // run on the executor, since this test's own task runs on the blocked pool.
        let blockers = pool.start()
        let slept = Task(executorPreference: executor) { () -> Duration in
            defer { pool.release() }
            try await pool.waitUntilBusy { try await Task.sleep(for: .milliseconds(1)) }
            let start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(10))
            return ContinuousClock.now - start
        }
        let result = await slept.result
        for blocker in blockers { await blocker.value }
        #expect(try result.get() >= .milliseconds(10))
        pool.expectNoneTimedOut("Task.sleep's wake-up waited for a blocked global-executor thread")
        #expect(executor.metrics.timersFired >= 1)
    }
}

/// Detached tasks, two more than there are CPUs, that each hold a thread of Swift's global
/// executor until `release()`; 30 s is only a hang watchdog.
private final class GlobalPoolBlockers: Sendable {
    let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    var count: Int { cores + 2 }
    private let started = Atomic<Int>(0)
    private let timedOut = Atomic<Int>(0)
    private let semaphore = DispatchSemaphore(value: 0)

    func start() -> [Task<Void, Never>] {
        (0..<count).map { _ in
            Task.detached {
                self.started.wrappingAdd(1, ordering: .relaxed)
                if self.semaphore.wait(timeout: .now() + 30) == .timedOut {
                    self.timedOut.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
    }

    /// Waits, with `pause` between looks (30 s at most), until a blocker holds each of
    /// the pool's threads.
    func waitUntilBusy(pause: () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while started.load(ordering: .relaxed) < cores && ContinuousClock.now < deadline {
            try await pause()
        }
    }

    func release() {
        for _ in 0..<count { semaphore.signal() }
    }

    func expectNoneTimedOut(_ message: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(started.load(ordering: .relaxed) == count, sourceLocation: sourceLocation)
        #expect(timedOut.load(ordering: .relaxed) == 0, message, sourceLocation: sourceLocation)
    }
}
