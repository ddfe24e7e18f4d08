// swift-uring as a program would use it when URingRuntimeFactory is its default
// executor (see DefaultExecutor.swift): plain tasks, no task-executor preference, so
// no Swift-runtime lock per resumption. `URingRuntimeFactory.shared.run {}` blocks
// this thread until the tasks finish. Workers: --workers (SWIFT_URING_WORKERS).

@_spi(ExperimentalCustomExecutors) import URing
import URingExecutor

struct SwiftURingEngine: Engine {
    let name = "swift-uring"

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let measured = try URingRuntimeFactory.shared.run {
            // Guard against a build where DefaultExecutorFactory is not in effect: the
            // tasks would then run on Swift's global pool and measure something else.
            guard URingExecutor.current?.executor === URingRuntimeFactory.shared.executor else {
                throw EngineFailure(description: "tasks are not on the default URingRuntime (DefaultExecutorFactory not installed)")
            }
            return try await FileStreams.run(workload, progress: progress)
        }
        return RunResult(
            engine: name, operations: measured.operations,
            bytes: Int64(measured.operations) * Int64(workload.blockSize), elapsed: measured.elapsed,
            cpu: measured.cpu, latency: .recorded(measured.latency))
    }
}
