import Glibc
import Testing
import URing

@Suite("Ring sleeps need no global executor thread", .requiresIOURing)
struct RingSleepIndependenceTests {
    @Test("URingRuntime.sleep wakes on time while the global executor's threads are all blocked")
    func ringSleepWhileGlobalPoolBlocked() async throws {
        try await withRuntime { _ in
            // Block every cooperative-pool thread (2 cores here; 4 to be sure) for 150 ms.
            let blockers = (0..<4).map { _ in Task.detached { _ = usleep(150_000) } }
            let start = ContinuousClock.now
            try await URingRuntime.sleep(for: .milliseconds(10))
            let elapsed = ContinuousClock.now - start
            for blocker in blockers { await blocker.value }
            #expect(elapsed >= .milliseconds(10))
            #expect(elapsed < .milliseconds(140), "the wake-up waited for a blocked global-executor thread")
        }
    }
}
