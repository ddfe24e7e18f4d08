import Dispatch
import Testing
import URing

@Suite("runBlocking runs its closure off the runtime's workers and returns its result", .requiresIOURing)
struct RunBlockingReturnsTheClosuresResultOffTheWorkers {
    struct ClosureFailed: Error, Equatable {}

    @Test("a closure that blocks until a task on the only worker signals it returns, and a thrown error is rethrown")
    func blocksWithoutStallingTheWorker() async throws {
        let signalled = try await withRuntime(workers: 1) { runtime in
            let semaphore = DispatchSemaphore(value: 0)
            let started = Shared(false)
            let waiter = Task(executorPreference: runtime.executor) {
                try await URingRuntime.runBlocking {
                    started.update { $0 = true }
                    // Generous watchdog: with the closure on the worker, the signal could never come.
                    return semaphore.wait(timeout: .now() + 120) == .success
                }
            }
            // This task and the signaller need the only worker: they run only if the
            // closure left it free.
            while !started.value { try await URingRuntime.sleep(for: .milliseconds(1)) }
            let signaller = Task(executorPreference: runtime.executor) { _ = semaphore.signal() }
            await signaller.value
            return try await waiter.value
        }
        #expect(signalled)
        await #expect(throws: ClosureFailed()) { try await URingRuntime.runBlocking { throw ClosureFailed() } }
        #expect(try await URingRuntime.runBlocking { 6 * 7 } == 42)
    }
}
