// swift-uring on a dedicated URingRuntime entered with `run {}`: its tasks carry a
// task-executor preference, which costs a Swift-runtime lock on every resumption
// (AsyncTask::getPreferredTaskExecutor). The runtime is created and shut down per run.

import URing

struct SwiftURingRunEngine: Engine {
    let name = "swift-uring-run"
    var deferTaskRun = false

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let runtime = try URingRuntime(.init(workers: workload.workers, deferTaskRun: deferTaskRun, backend: .ioURing))
        defer { runtime.shutdown() }
        let measured = try runtime.run {
            try await FileStreams.run(workload, progress: progress)
        }
        return RunResult(
            engine: name, operations: measured.operations,
            bytes: Int64(measured.operations) * Int64(workload.blockSize), elapsed: measured.elapsed,
            cpu: measured.cpu, latency: .recorded(measured.latency))
    }
}
