// swift-uring through its public API: `iodepth` tasks on a URingRuntime, each awaiting
// `File.read(into:at:)` in a loop. This is what a user's code costs.

import Synchronization
import URing
import URingExecutor

struct SwiftURingEngine: Engine {
    let name = "swift-uring"
    var workers: Int
    var deferTaskRun = false

    func run(_ workload: Workload) throws -> RunResult {
        let runtime = try URingRuntime(.init(workers: workers, deferTaskRun: deferTaskRun))
        defer { runtime.shutdown() }
        let path = workload.path
        let depth = workload.ioDepth
        let blockSize = workload.blockSize
        let measured: (operations: Int, elapsed: Duration, cpu: Duration) = try runtime.run {
            let file = try await File.open(path, .readOnly)
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start + workload.runtime
            let cpuStart = processCPUTime()
            let operations = try await withThrowingTaskGroup(of: Int.self) { group in
                for stream in 0..<depth {
                    group.addTask {
                        // Safety: one buffer per task, freed after its last read returned.
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
                        defer { buffer.deallocate() }
                        var offsets = OffsetGenerator(workload: workload, seed: 0xC0FFEE &+ UInt64(stream))
                        var count = 0
                        while true {
                            for _ in 0..<16 {
                                let read = try await file.read(into: buffer, at: offsets.next())
                                guard read == blockSize else {
                                    throw EngineFailure(description: "swift-uring read returned \(read) bytes")
                                }
                            }
                            count += 16
                            if clock.now >= deadline { return count }
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = clock.now - start
            try await file.close()
            return (operations, elapsed, processCPUTime() - cpuStart)
        }
        return RunResult(
            engine: name, operations: measured.operations, bytes: Int64(measured.operations) * Int64(blockSize),
            elapsed: measured.elapsed, cpu: measured.cpu)
    }
}
