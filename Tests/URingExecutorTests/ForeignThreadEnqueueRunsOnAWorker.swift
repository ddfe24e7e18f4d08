import Synchronization
import Testing

@testable import URingExecutor

@Suite("Enqueue from a foreign thread")
struct ForeignThreadEnqueueRunsOnAWorker {
    @Test("a task started from a plain pthread runs on one of the executor's workers")
    func taskFromForeignThread() throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let ranOnWorker = Locked<Int?>(nil)
        let done = Latch()
        let thread = try JoinableThread {
            #expect(URingExecutor.current == nil)
            Task(executorPreference: executor) {
                ranOnWorker.withLock { $0 = URingExecutor.current?.executor === executor ? URingExecutor.currentWorkerIndex : -1 }
                done.open()
            }
        }
        thread.join()
        #expect(done.wait(seconds: 10))
        let index = try #require(ranOnWorker.value)
        #expect((0..<2).contains(index))
        #expect(executor.metrics.remoteEnqueues >= 1)
    }

    @Test("a continuation resumed from a plain pthread continues on a worker")
    func continuationFromForeignThread() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let result = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            let resumer = Locked<JoinableThread?>(nil)
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let thread = try! JoinableThread { continuation.resume() }
                resumer.withLock { $0 = thread }
            }
            resumer.value?.join()
            return executor.isCurrentWorkerThread
        }
        #expect(result == true)
    }
}
