import Testing

@testable import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

@Suite("Shutdown")
struct ShutdownRunsQueuedJobsAndForwardsLaterOnes {
    @Test("shutdown runs every job already queued on the workers before it returns")
    func queuedJobsRunOnWorkers() throws {
        let executor = try URingExecutor(workers: 1, queueCapacity: 4)
        let gate = Latch()
        let blockerStarted = Latch()
        // Occupy the only worker so that the next tasks stay queued.
        Task(executorPreference: executor) {
            blockerStarted.open()
            _ = gate.wait(seconds: 10)
        }
        #expect(blockerStarted.wait(seconds: 10))
        let ranOnWorker = Counter()
        for _ in 0..<100 {
            Task(executorPreference: executor) {
                if executor.isCurrentWorkerThread { ranOnWorker.increment() }
            }
        }
        let stopper = try JoinableThread { executor.shutdown() }
        // Only once shutdown has begun do the queued jobs prove anything: they must still
        // run on the worker, not be dropped or forwarded.
        let begun = ContinuousClock.now + .seconds(30)
        while !executor.isShuttingDown && ContinuousClock.now < begun { usleep(100) }
        #expect(executor.isShuttingDown, "shutdown never began")
        usleep(1_000)
        #expect(!executor.isShutDown, "shutdown must wait for the running job")
        gate.open()
        stopper.join()
        #expect(executor.isShutDown)
        #expect(ranOnWorker.value == 100)
        #expect(executor.metrics.forwardedAfterShutdown == 0)
    }

    @Test("a task started after shutdown still runs, on the fallback executor")
    func laterJobsAreForwarded() async throws {
        let executor = try URingExecutor(workers: 2)
        executor.shutdown()
        let onWorker = await Task(executorPreference: executor) { executor.isCurrentWorkerThread }.value
        #expect(onWorker == false)
        #expect(executor.metrics.forwardedAfterShutdown >= 1)
    }

    @Test("a task suspended across shutdown resumes on the fallback executor, and its sleep keeps its deadline")
    func suspendedTaskFinishesElsewhere() async throws {
        let executor = try URingExecutor(workers: 2)
        let sleeping = Latch()
        let task = Task(executorPreference: executor) { () -> (Bool, Duration) in
            let start = ContinuousClock.now
            sleeping.open()
            try? await Task.sleep(for: .milliseconds(100))
            return (executor.isCurrentWorkerThread, ContinuousClock.now - start)
        }
        #expect(sleeping.wait(seconds: 10))
        usleep(10_000)
        executor.shutdown()
        let (onWorker, slept) = await task.value
        #expect(onWorker == false)
        #expect(slept >= .milliseconds(100))
        #expect(executor.metrics.forwardedAfterShutdown >= 1)
    }

    @Test("shutdown is idempotent, also when called from two threads at once")
    func idempotent() throws {
        let executor = try URingExecutor(workers: 2)
        let threads = try (0..<2).map { _ in try JoinableThread { executor.shutdown() } }
        threads.forEach { $0.join() }
        #expect(executor.isShutDown)
        executor.shutdown()
        #expect(executor.isShutDown)
    }

    @Test("shutdown on one of the executor's own workers is a precondition failure")
    func shutdownOnWorkerTraps() async {
        await #expect(processExitsWith: .failure) {
            let executor = try URingExecutor(workers: 1)
            await Task(executorPreference: executor) { executor.shutdown() }.value
        }
    }
}
