// Blocking I/O on a thread pool, the way most runtimes without io_uring do file I/O:
// `iodepth` threads, each calling pread(2) or pwrite(2) in a loop on its own buffer.
// The threads start together behind a barrier and stop at the same deadline.

import Foundation
import Synchronization
import SystemPackage

struct PreadPoolEngine: Engine {
    let name = "pread-pool"

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let fd = try FileDescriptor.open(workload.path, workload.openMode, options: workload.openOptions)
        defer { try? fd.close() }
        let threads = workload.ioDepth
        let results = Mutex<[(operations: Int, latency: LatencyRecorder, failure: String?)]>([])
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let deadline = Atomic<UInt64>(0)
        let cursor = SequentialCursor()
        for stream in 0..<threads {
            let thread = Thread {
                ready.signal()
                go.wait()
                let outcome = Self.loop(
                    fd: fd, workload: workload, stream: stream, cursor: cursor, deadline: deadline.load(ordering: .acquiring),
                    progress: progress)
                results.withLock { $0.append(outcome) }
                finished.signal()
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
        for _ in 0..<threads { ready.wait() }
        let start = monotonicNanoseconds()
        let cpuStart = processCPUTime()
        deadline.store(start + UInt64(workload.runtime.seconds * 1e9), ordering: .releasing)
        for _ in 0..<threads { go.signal() }
        for _ in 0..<threads { finished.wait() }
        let elapsed = Duration.nanoseconds(Int64(monotonicNanoseconds() - start))
        let cpu = processCPUTime() - cpuStart
        let all = results.withLock { $0 }
        if let failure = all.lazy.compactMap(\.failure).first { throw EngineFailure(description: failure) }
        var latency = LatencyRecorder()
        for outcome in all { latency.add(outcome.latency) }
        let operations = all.reduce(0) { $0 + $1.operations }
        return RunResult(
            engine: name, operations: operations, bytes: Int64(operations) * Int64(workload.blockSize),
            elapsed: elapsed, cpu: cpu, latency: .recorded(latency))
    }

    private static func loop(
        fd: FileDescriptor, workload: Workload, stream: Int, cursor: SequentialCursor, deadline: UInt64,
        progress: Progress
    ) -> (operations: Int, latency: LatencyRecorder, failure: String?) {
        let blockSize = workload.blockSize
        // Safety: this thread's own buffer, freed after its last blocking call returned.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        var offsets = OffsetGenerator(workload: workload, stream: stream, cursor: cursor)
        let isWrite = workload.pattern.isWrite
        var latency = LatencyRecorder()
        var operations = 0
        var last = monotonicNanoseconds()
        while last < deadline {
            for _ in 0..<16 {
                let offset = off_t(offsets.next())
                let count =
                    isWrite
                    ? pwrite(fd.rawValue, buffer.baseAddress, blockSize, offset)
                    : pread(fd.rawValue, buffer.baseAddress, blockSize, offset)
                guard count == blockSize else {
                    let reason = count < 0 ? "\(Errno(rawValue: errno))" : "\(count) bytes"
                    return (operations, latency, "\(isWrite ? "pwrite" : "pread") returned \(reason)")
                }
                let now = monotonicNanoseconds()
                latency.record(nanoseconds: now &- last)
                last = now
            }
            operations += 16
            progress.add(16)
        }
        return (operations, latency, nil)
    }
}
