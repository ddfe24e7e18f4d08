import Testing
@testable import URing

@Suite("Task.sleep on a runtime", .requiresIOURing)
struct TaskSleepOnARuntimeIsARingTimeout {
    @Test("Task.sleep in a runtime task is held by a ring timeout, not a timer heap")
    func taskSleepUsesRing() async throws {
        try await withRuntime { runtime in
            let timers = try #require(runtime.executor.timers as? RingTimers)
            async let slept: Duration = {
                let start = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(30))
                return ContinuousClock.now - start
            }()
            // Wait for the child to reach its sleep, however late a loaded machine runs it
            // (CI under ThreadSanitizer: not within a fixed 10 ms). URingRuntime.sleep is a
            // ring operation of its own and never goes through RingTimers.
            let watchdog = ContinuousClock.now + .seconds(60)
            while timers.ringTimersStarted.load(ordering: .relaxed) == 0 && timers.fallback.count == 0
                && ContinuousClock.now < watchdog
            {
                try await URingRuntime.sleep(for: .milliseconds(2))
            }
            #expect(timers.fallback.count == 0)
            #expect(timers.ringTimersStarted.load(ordering: .relaxed) == 1)
            let elapsed = try await slept
            #expect(elapsed >= .milliseconds(30))
            // No upper bound (a loaded machine may run the child late); that the wake-up
            // needs no global-executor thread is pinned by RingSleepsNeedNoGlobalExecutorThread.
        }
    }

    @Test("a cancelled Task.sleep ends early with CancellationError")
    func cancelledTaskSleep() async throws {
        try await withRuntime { runtime in
            let sleeper = Task(executorPreference: runtime.executor) { try await Task.sleep(for: .seconds(30)) }
            try await URingRuntime.sleep(for: .milliseconds(10))
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }

    @Test("a Task.sleep still pending at shutdown finishes later, after its deadline")
    func sleepOutlivesShutdown() async throws {
        let runtime = try URingRuntime(.init(workers: 1))
        let sleeper = Task(executorPreference: runtime.executor) { () -> Duration in
            let start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(200))
            return ContinuousClock.now - start
        }
        try await Task.sleep(for: .milliseconds(20))
        await runtime.shutdown()
        let elapsed = try await sleeper.value
        #expect(elapsed >= .milliseconds(200))
    }
}
