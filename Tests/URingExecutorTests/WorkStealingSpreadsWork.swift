import Testing

@testable import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

@Suite("Work stealing")
struct WorkStealingSpreadsWork {
    @Test("work spawned on one worker is stolen and run by the other")
    func idleWorkerSteals() async throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 256)
        defer { executor.shutdown() }
        let workersUsed = Locked<Set<Int>>([])
        // One hang watchdog for all the tasks below.
        let deadline = ContinuousClock.now + .seconds(30)
        _ = try await withWatchdog(seconds: 60, on: executor) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let index = URingExecutor.currentWorkerIndex ?? -1
                        workersUsed.withLock { _ = $0.insert(index) }
                        // Hold this worker until the other one has run a task: only stealing
                        // can get it one (all were spawned here).
                        while workersUsed.value.count < 2 && ContinuousClock.now < deadline { usleep(100) }
                    }
                }
            }
        }
        #expect(workersUsed.value == [0, 1])
        #expect(executor.metrics.stolenJobs > 0)
        #expect(executor.metrics.stolenJobs >= executor.metrics.steals)
    }

    @Test("URingExecutor.current names the executor and the worker index, and is nil elsewhere")
    func currentWorkerIdentity() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        #expect(URingExecutor.current == nil)
        #expect(URingExecutor.currentWorkerIndex == nil)
        let identity = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            guard let current = URingExecutor.current else { return false }
            return current.executor === executor && current.index == URingExecutor.currentWorkerIndex
                && (0..<2).contains(current.index) && current.parker is ConditionParker
        }
        #expect(identity == true)
    }
}
