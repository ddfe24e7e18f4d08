// A task whose operations complete later than their submission (O_DIRECT reads,
// sockets, timers) used to cost its worker two io_uring_enter calls per operation: a
// poll to submit (which reaped nothing), then a park to wait. When the previous poll
// reaped none of what it submitted, the worker now parks straight away, and the park
// submits and waits in one enter (Worker.findWorkAfterPolling,
// CompletionDriver.submissionsAwaitCompletion).

import Testing
import URing

@Suite("A worker waiting on its ring submits and waits in one enter", .requiresIOURingBackend)
struct AWorkerWaitingOnItsRingSubmitsAndWaitsInOneEnter {
    @Test("300 ring sleeps one after another on one worker: fewer than 1.5 io_uring_enter calls per sleep")
    func oneEnterPerSleep() async throws {
        let sleeps = 300
        let (enters, started) = try await withRuntime(workers: 1) { runtime in
            let task = Task(executorPreference: runtime.executor) { () -> (Int, Int) in
                // One sleep first, so the driver has seen a submission it did not reap.
                try await URingRuntime.sleep(for: .microseconds(50))
                let before = await runtime.statistics()
                for _ in 0..<sleeps { try await URingRuntime.sleep(for: .microseconds(50)) }
                let after = await runtime.statistics()
                return (
                    after[0].ring.enterCalls - before[0].ring.enterCalls,
                    after[0].operationsStarted - before[0].operationsStarted
                )
            }
            return try await task.value
        }
        print("\(sleeps) sleeps: \(started) operations started, \(enters) io_uring_enter calls")
        #expect(started >= sleeps)
        // Two per sleep before; one per sleep plus a few for the statistics requests now.
        #expect(Double(enters) < 1.5 * Double(sleeps))
    }
}
