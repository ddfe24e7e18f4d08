import Testing

@testable import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

@Suite("Stress: many tasks on many executors")
struct StressThousandTasksOnFiveExecutors {
    @Test("1,000 tasks on each of 5 executors all complete (no lost wake-up)")
    func thousandTasksTimesFive() async throws {
        let executors = try (0..<5).map { _ in try URingExecutor(workers: 2, queueCapacity: 4) }
        defer { executors.forEach { $0.shutdown() } }
        for round in 0..<3 {
            let completed = Counter()
            let result = try await withWatchdog(seconds: 30, on: executors[0]) { () -> Int in
                await withTaskGroup(of: Void.self) { group in
                    for executor in executors {
                        for task in 0..<1_000 {
                            group.addTask(executorPreference: executor) {
                                if task % 3 == 0 { await Task.yield() }
                                completed.increment()
                            }
                        }
                    }
                }
                return completed.value
            }
            #expect(result == 5_000, "round \(round)")
        }
        let jobs = executors.map { $0.metrics.jobsRun }
        #expect(jobs.allSatisfy { $0 >= 3_000 })
    }

    @Test("tasks spawned from a plain thread in bursts with idle gaps all complete (parking and waking)")
    func burstsFromOutside() throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 4)
        defer { executor.shutdown() }
        for burst in 0..<50 {
            let done = Counter()
            let latch = Latch()
            for _ in 0..<20 {
                Task(executorPreference: executor) {
                    done.increment()
                    if done.value == 20 { latch.open() }
                }
            }
            #expect(latch.wait(seconds: 10), "burst \(burst) did not complete: \(done.value) of 20")
            if burst % 10 == 0 { usleep(2_000) }  // let the workers park
        }
        #expect(executor.metrics.parks > 0)
    }
}
