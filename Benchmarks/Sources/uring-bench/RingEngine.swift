// The ceiling: a bare Ring driven synchronously by one thread, in the manner of fio's
// t/io_uring. `iodepth` operations stay in flight; each completion is checked and its
// slot re-armed with the next offset. No tasks, no executor: what the kernel path costs.
// Latency of an operation: from preparing its SQE to reaping its CQE.

import Glibc
@_spi(URingInternals) import URing

struct RingEngine: Engine {
    let name = "ring"

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let depth = workload.ioDepth
        var ring = try Ring(
            options: RingOptions(
                submissionQueueEntries: UInt32(depth).nextPowerOfTwo, singleIssuer: true, deferTaskRun: true))
        let fd = try FileDescriptor.open(workload.path, workload.openMode, options: workload.openOptions)
        defer { try? fd.close() }
        let blockSize = workload.blockSize
        let isWrite = workload.pattern.isWrite
        // One page-aligned AlignedBuffer, in whole huge pages, holds every slot's buffer
        // (as the swift-uring engines' streams); it lives until the loop below has reaped
        // every operation it started.
        let region = try AlignedBuffer(byteCount: streamRegionSize(depth: depth, blockSize: blockSize))
        defer { withExtendedLifetime(region) {} }
        let buffers = region.bytes
        buffers.initializeMemory(as: UInt8.self, repeating: 0x5A)
        func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: buffers[slot * blockSize..<(slot + 1) * blockSize])
        }
        var offsets = OffsetGenerator(workload: workload, stream: 0, cursor: SequentialCursor())
        var submittedAt = [UInt64](repeating: 0, count: depth)
        func prepare(_ slot: Int, _ ring: inout Ring) throws {
            let entry = try ring.nextEntry()
            if isWrite {
                entry.write(fd, from: UnsafeRawBufferPointer(buffer(slot)), at: UInt64(offsets.next()))
            } else {
                entry.read(fd, into: buffer(slot), at: UInt64(offsets.next()))
            }
            entry.userData = UInt64(slot)
            submittedAt[slot] = monotonicNanoseconds()
        }

        var completed = [Int](repeating: 0, count: depth)
        var latency = LatencyRecorder()
        var failure: Errno?
        var shortCount: Int32?
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(workload.runtime.seconds * 1e9)
        let cpuStart = processCPUTime()
        for slot in 0..<depth { try prepare(slot, &ring) }
        var operations = 0
        var inFlight = depth
        var issuing = true
        while inFlight > 0 {
            try ring.submitAndWait(minCompletions: 1)
            var completedCount = 0
            ring.reap { completion in
                if let error = completion.error { failure = error }
                if completion.result != Int32(blockSize) { shortCount = completion.result }
                completed[completedCount] = Int(completion.userData)
                completedCount += 1
            }
            if let failure { throw EngineFailure(description: "ring operation failed: \(failure)") }
            if let shortCount { throw EngineFailure(description: "ring operation moved \(shortCount) of \(blockSize) bytes") }
            let now = monotonicNanoseconds()
            for index in 0..<completedCount {
                latency.record(nanoseconds: now &- submittedAt[completed[index]])
            }
            operations += completedCount
            progress.add(completedCount)
            inFlight -= completedCount
            if issuing && now >= deadline { issuing = false }
            guard issuing else { continue }
            for index in 0..<completedCount { try prepare(completed[index], &ring) }
            inFlight += completedCount
        }
        let elapsed = Duration.nanoseconds(Int64(monotonicNanoseconds() - start))
        return RunResult(
            engine: name, operations: operations, bytes: Int64(operations) * Int64(blockSize), elapsed: elapsed,
            cpu: processCPUTime() - cpuStart, latency: .recorded(latency))
    }
}

extension UInt32 {
    var nextPowerOfTwo: UInt32 { self <= 1 ? 1 : 1 << (32 - (self - 1).leadingZeroBitCount) }
}
