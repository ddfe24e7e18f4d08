import Testing
import URing
import URingExecutor

@Suite("Sleeping on the ring", .requiresIOURing)
struct SleepTests {
    @Test("a 10 ms sleep resumes after 10 ms, within a sane bound, on a worker")
    func tenMillisecondSleep() async throws {
        try await withRuntime { runtime in
            let start = ContinuousClock.now
            try await URingRuntime.sleep(for: .milliseconds(10))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(10))
            #expect(elapsed < .milliseconds(500))
            #expect(URingExecutor.currentWorkerIndex != nil)
        }
    }

    @Test("100 concurrent sleeps all finish")
    func manySleeps() async throws {
        try await withRuntime { runtime in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<100 {
                    group.addTask { try await URingRuntime.sleep(for: .milliseconds(Int64(index % 10))) }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("cancelling a sleep ends it early with CancellationError")
    func cancelSleep() async throws {
        try await withRuntime { runtime in
            let start = ContinuousClock.now
            let sleeper = Task(executorPreference: runtime.executor) { try await URingRuntime.sleep(for: .seconds(30)) }
            try await URingRuntime.sleep(for: .milliseconds(10))
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }
}
