// The plain baseline: one thread calling pread(2) in a loop, one read at a time.

import Glibc
import SystemPackage

struct PreadEngine: Engine {
    let name = "pread"

    func run(_ workload: Workload) throws -> RunResult {
        let fd = try FileDescriptor.open(workload.path, .readOnly)
        defer { try? fd.close() }
        let blockSize = workload.blockSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        var offsets = OffsetGenerator(workload: workload, seed: 0xC0FFEE)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + workload.runtime
        let cpuStart = threadCPUTime()
        var operations = 0
        repeat {
            for _ in 0..<256 {
                let count = pread(fd.rawValue, buffer.baseAddress, blockSize, off_t(offsets.next()))
                guard count == blockSize else {
                    throw EngineFailure(description: "pread returned \(count) (errno \(Errno(rawValue: errno)))")
                }
            }
            operations += 256
        } while clock.now < deadline
        let elapsed = clock.now - start
        return RunResult(
            engine: name, operations: operations, bytes: Int64(operations) * Int64(blockSize), elapsed: elapsed,
            cpu: threadCPUTime() - cpuStart)
    }
}
