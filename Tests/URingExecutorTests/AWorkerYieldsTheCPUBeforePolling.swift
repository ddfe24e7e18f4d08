// A worker whose queue ran dry lets other runnable threads on its CPU go first before it
// polls its parker (Worker.findWorkAfterPolling): every such poll is preceded by one
// sched_yield, counted in `cpuYields`.

import Testing

@testable import URingExecutor

@Suite("A worker yields the CPU before it polls")
struct AWorkerYieldsTheCPUBeforePolling {
    @Test("100 jobs, then a sleep that leaves the worker dry: at least one yield, never more yields than polls")
    func yieldsBeforePolling() throws {
        let executor = try URingExecutor(workers: 1, stallThreshold: nil)
        executor.run {
            for _ in 0..<100 { await Task.yield() }
            // The only task sleeps: the worker runs dry, polls, and parks until the timer.
            // (Without it the worker may never run dry before shutdown stops it: the run's
            // job can be waiting when the worker starts.)
            try? await Task.sleep(for: .milliseconds(20))
        }
        executor.shutdown()
        let metrics = executor.metrics
        #expect(metrics.jobsRun >= 100)
        #expect(metrics.cpuYields >= 1, "the worker ran dry and polled without yielding first")
        #expect(metrics.cpuYields <= metrics.polls, "a yield without the poll it precedes")
    }
}
