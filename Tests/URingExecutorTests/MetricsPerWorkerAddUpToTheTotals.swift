// `metricsPerWorker` splits `metrics` by worker: after work, each worker's counters are its
// own and their sums are the executor's totals.

import Testing

@testable import URingExecutor

@Suite("Per-worker metrics add up to the executor's totals")
struct MetricsPerWorkerAddUpToTheTotals {
    @Test("1,000 jobs on 2 workers: one entry per worker, sums equal the totals")
    func perWorkerSumsMatch() throws {
        let executor = try URingExecutor(workers: 2, stallThreshold: nil)
        executor.run {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<1_000 { group.addTask { await Task.yield() } }
            }
        }
        executor.shutdown()
        let perWorker = executor.metricsPerWorker
        let total = executor.metrics
        #expect(perWorker.count == 2)
        #expect(perWorker.map(\.jobsRun).reduce(0, +) == total.jobsRun)
        #expect(perWorker.map(\.parks).reduce(0, +) == total.parks)
        #expect(perWorker.map(\.steals).reduce(0, +) == total.steals)
        #expect(total.jobsRun >= 2_000)
        #expect(perWorker.allSatisfy { $0.notifications == 0 && $0.remoteEnqueues == 0 })
    }
}
