// swift-uring as a program would use it when URingRuntimeFactory is its default
// executor (see DefaultExecutor.swift): plain tasks, no task-executor preference, so
// no Swift-runtime lock per resumption. `URingRuntimeFactory.shared.run {}` blocks
// this thread until the tasks finish. Workers: --workers (SWIFT_URING_WORKERS).
// io_uring_enter calls: the drivers' `ring.enterCalls` (public `statistics()`) read
// before and after the measured streams; the statistics requests add a few.

@_spi(ExperimentalCustomExecutors) import URing
import Foundation
import URingExecutor

struct SwiftURingEngine: Engine {
    let name = "swift-uring"

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let (measured, enters) = try URingRuntimeFactory.shared.run {
            // Guard against a build where DefaultExecutorFactory is not in effect: the
            // tasks would then run on Swift's global pool and measure something else.
            guard URingExecutor.current?.executor === URingRuntimeFactory.shared.executor else {
                throw EngineFailure(description: "tasks are not on the default URingRuntime (DefaultExecutorFactory not installed)")
            }
            let before = await URingRuntimeFactory.shared.statistics()
            let measured = try await FileStreams.run(workload, progress: progress)
            let after = await URingRuntimeFactory.shared.statistics()
            let enters = after.reduce(0) { $0 + $1.ring.enterCalls } - before.reduce(0) { $0 + $1.ring.enterCalls }
            if after.count > 1 {
                // Per ring: an uneven split of the tasks shows as one ring entering the
                // kernel far more often per operation than the others.
                for (start, end) in zip(before, after) {
                    let operations = end.operationsStarted - start.operationsStarted
                    let ringEnters = end.ring.enterCalls - start.ring.enterCalls
                    let perOperation = operations > 0 ? Double(ringEnters) / Double(operations) : 0
                    print("uring-bench: swift-uring worker \(end.worker): \(operations) operations, "
                        + "\(ringEnters) io_uring_enter calls (\(String(format: "%.3f", perOperation)) per operation)")
                }
            }
            return (measured, enters)
        }
        return RunResult(
            engine: name, operations: measured.operations,
            bytes: Int64(measured.operations) * Int64(workload.blockSize), elapsed: measured.elapsed,
            cpu: measured.cpu, latency: .recorded(measured.latency), enterCalls: enters)
    }
}
