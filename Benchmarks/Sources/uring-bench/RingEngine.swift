// The ceiling: a bare Ring driven synchronously by one thread, in the manner of fio's
// t/io_uring. `iodepth` reads stay in flight; each completion is checked and its slot
// re-armed with the next offset. No tasks, no executor: what the kernel path costs.

import Glibc
import URing

struct RingEngine: Engine {
    let name = "ring"

    func run(_ workload: Workload) throws -> RunResult {
        let depth = workload.ioDepth
        var ring = try Ring(
            options: RingOptions(
                submissionQueueEntries: UInt32(depth).nextPowerOfTwo, singleIssuer: true, deferTaskRun: true))
        let fd = try FileDescriptor.open(workload.path, .readOnly)
        defer { try? fd.close() }
        let blockSize = workload.blockSize
        // Safety: one page-aligned allocation holds every slot's buffer; it is freed only
        // after the loop below has reaped every read it started.
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: depth * blockSize, alignment: 4096)
        defer { buffers.deallocate() }
        func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: buffers[slot * blockSize ..< (slot + 1) * blockSize])
        }

        var offsets = OffsetGenerator(workload: workload, seed: 0xC0FFEE)
        var completed = [Int](repeating: 0, count: depth)
        var completedCount = 0
        var failure: Errno?
        var shortRead = false
        for slot in 0..<depth {
            let entry = try ring.nextEntry()
            entry.read(fd, into: buffer(slot), at: UInt64(offsets.next()))
            entry.userData = UInt64(slot)
        }

        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + workload.runtime
        let cpuStart = threadCPUTime()
        var operations = 0
        var inFlight = depth
        var issuing = true
        while inFlight > 0 {
            try ring.submitAndWait(minCompletions: 1)
            completedCount = 0
            ring.reap { completion in
                if let error = completion.error { failure = error }
                if completion.result != Int32(blockSize) { shortRead = true }
                completed[completedCount] = Int(completion.userData)
                completedCount += 1
            }
            if let failure { throw EngineFailure(description: "ring read failed: \(failure)") }
            if shortRead { throw EngineFailure(description: "ring read returned fewer than \(blockSize) bytes") }
            operations += completedCount
            inFlight -= completedCount
            if issuing && clock.now >= deadline { issuing = false }
            guard issuing else { continue }
            for index in 0..<completedCount {
                let slot = completed[index]
                let entry = try ring.nextEntry()
                entry.read(fd, into: buffer(slot), at: UInt64(offsets.next()))
                entry.userData = UInt64(slot)
            }
            inFlight += completedCount
        }
        let elapsed = clock.now - start
        return RunResult(
            engine: name, operations: operations, bytes: Int64(operations) * Int64(blockSize), elapsed: elapsed,
            cpu: threadCPUTime() - cpuStart)
    }
}

extension UInt32 {
    var nextPowerOfTwo: UInt32 { self <= 1 ? 1 : 1 << (32 - (self - 1).leadingZeroBitCount) }
}
