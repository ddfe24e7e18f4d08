// A worker whose queue ran dry lets other runnable threads on its CPU go first before it
// polls its parker (Worker.findWorkAfterPolling): every such poll is preceded by one
// sched_yield, counted in `cpuYields`.

import Testing

@testable import URingExecutor

@Suite("A worker yields the CPU before it polls")
struct AWorkerYieldsTheCPUBeforePolling {
    @Test("running dry after 100 jobs: at least one yield, and never more yields than polls")
    func yieldsBeforePolling() throws {
        let executor = try URingExecutor(workers: 1, stallThreshold: nil)
        executor.run {
            for _ in 0..<100 { await Task.yield() }
        }
        executor.shutdown()
        let metrics = executor.metrics
        #expect(metrics.jobsRun >= 100)
        #expect(metrics.cpuYields >= 1, "the worker ran dry and polled without yielding first")
        #expect(metrics.cpuYields <= metrics.polls, "a yield without the poll it precedes")
    }
}
