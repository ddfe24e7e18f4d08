import Testing
import URing
import URingExecutor

@Suite("Sleeping on the ring", .requiresIOURing)
struct SleepingOnTheRingResumesOnAWorker {
    @Test("a 10 ms sleep resumes no earlier than 10 ms, on a worker")
    func tenMillisecondSleep() async throws {
        try await withRuntime { runtime in
            let start = ContinuousClock.now
            try await URingRuntime.sleep(for: .milliseconds(10))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(10))
            #expect(URingExecutor.currentWorkerIndex != nil)
        }
    }

    @Test("100 concurrent sleeps all finish, none before its own duration")
    func manySleeps() async throws {
        let early = try await withRuntime { runtime in
            try await withThrowingTaskGroup(of: (Duration, Duration).self) { group in
                for index in 0..<100 {
                    let duration = Duration.milliseconds(Int64(index % 10))
                    group.addTask {
                        let start = ContinuousClock.now
                        try await URingRuntime.sleep(for: duration)
                        return (duration, ContinuousClock.now - start)
                    }
                }
                var finished: [(Duration, Duration)] = []
                for try await sleep in group { finished.append(sleep) }
                #expect(finished.count == 100)
                return finished.filter { $0.1 < $0.0 }
            }
        }
        #expect(early.isEmpty, "sleeps that ended before their duration: \(early)")
    }

    @Test("cancelling a sleep ends it early with CancellationError")
    func cancelSleep() async throws {
        try await withRuntime { runtime in
            let start = ContinuousClock.now
            let sleeper = Task(executorPreference: runtime.executor) { try await URingRuntime.sleep(for: .seconds(30)) }
            try await URingRuntime.sleep(for: .milliseconds(10))
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            // Ended by the cancel, not by running to its 30 s deadline.
            #expect(ContinuousClock.now - start < .seconds(25))
        }
    }
}
