import Dispatch
import Testing
import URing

@Suite("runBlocking is bounded, and a call cancelled while queued throws CancellationError and never runs", .requiresIOURing)
struct RunBlockingCancelledWhileQueuedNeverRuns {
    @Test("with every pool thread blocked, one more call waits; cancelled, it throws at once and its closure never runs")
    func cancelWhileQueued() async throws {
        let limit = URingRuntime.blockingThreadLimit
        let release = DispatchSemaphore(value: 0)
        let started = Shared(0)
        let ran = Shared(false)
        let expired = Shared(false)
        let (notStartedWhileFull, cancelError) = try await withRuntime { runtime in
            let blockers = (0..<limit).map { _ in
                Task(executorPreference: runtime.executor) {
                    try await URingRuntime.runBlocking {
                        started.update { $0 += 1 }
                        // A watchdog, so a failing run ends instead of hanging. Generous:
                        // the pool is process-wide, and under the sanitizers other suites'
                        // blocking calls can hold some of its threads for minutes, while
                        // the blockers that did start wait for the rest (CI's TSan run
                        // saw a 120 s limit expire, freeing a thread for the queued call).
                        if release.wait(timeout: .now() + 900) == .timedOut { expired.update { $0 = true } }
                    }
                }
            }
            while started.value < limit { try await URingRuntime.sleep(for: .milliseconds(1)) }
            let queued = Task(executorPreference: runtime.executor) {
                try await URingRuntime.runBlocking { ran.update { $0 = true } }
            }
            try await URingRuntime.sleep(for: .milliseconds(50))
            let notStartedWhileFull = !ran.value
            #expect(!expired.value, "a blocker's watchdog expired: the pool was not full the whole time")
            queued.cancel()
            // Thrown while every pool thread is still blocked: the cancel itself resumed it.
            let cancelError = await #expect(throws: CancellationError.self) { try await queued.value }
            for _ in 0..<limit { release.signal() }
            for blocker in blockers { try await blocker.value }
            // FIFO: the cancelled call left the queue before this one ran.
            try await URingRuntime.runBlocking {}
            return (notStartedWhileFull, cancelError)
        }
        #expect(notStartedWhileFull)
        #expect(cancelError != nil)
        #expect(!ran.value)
    }
}
