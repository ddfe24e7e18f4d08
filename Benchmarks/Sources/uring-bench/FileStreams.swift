// The swift-uring engines' workload, through the public API only: open a File, start
// `iodepth` tasks in a task group, each awaiting `File.read(into:at:)` (or `write`) in
// a loop on its own aligned buffer until the deadline. Each op is timed from the end of
// the previous one (one clock read per op). Runs on whatever executor the caller's task
// is on: the default runtime (swift-uring) or a dedicated one (swift-uring-run).

import Glibc
import URing

struct StreamsMeasurement: Sendable {
    var operations: Int
    var elapsed: Duration
    var cpu: Duration
    var latency: LatencyRecorder
}

enum FileStreams {
    static func run(_ workload: Workload, progress: Progress) async throws -> StreamsMeasurement {
        let file = try await File.open(workload.path, workload.openMode, options: workload.openOptions)
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(workload.runtime.seconds * 1e9)
        let cpuStart = processCPUTime()
        let (operations, latency) = try await withThrowingTaskGroup(of: (Int, LatencyRecorder).self) { group in
            for stream in 0..<workload.ioDepth {
                group.addTask { try await runStream(stream, file: file, workload: workload, deadline: deadline, progress: progress) }
            }
            var operations = 0
            var latency = LatencyRecorder()
            for try await (count, recorder) in group {
                operations += count
                latency.add(recorder)
            }
            return (operations, latency)
        }
        let elapsed = Duration.nanoseconds(Int64(monotonicNanoseconds() - start))
        let cpu = processCPUTime() - cpuStart
        try await file.close()
        return StreamsMeasurement(operations: operations, elapsed: elapsed, cpu: cpu, latency: latency)
    }

    private static func runStream(
        _ stream: Int, file: File, workload: Workload, deadline: UInt64, progress: Progress
    ) async throws -> (Int, LatencyRecorder) {
        let blockSize = workload.blockSize
        // Safety: this task's own buffer; freed after its last read or write returned,
        // and each call returns only after its CQE, so the kernel no longer touches it.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: stream) | 1)
        let isWrite = workload.pattern.isWrite
        var offsets = OffsetGenerator(workload: workload, stream: stream, streams: workload.ioDepth)
        var latency = LatencyRecorder()
        var count = 0
        var last = monotonicNanoseconds()
        while last < deadline {
            for _ in 0..<16 {
                if isWrite {
                    try await file.write(UnsafeRawBufferPointer(buffer), at: offsets.next())
                } else {
                    let read = try await file.read(into: buffer, at: offsets.next())
                    guard read == blockSize else { throw EngineFailure(description: "read returned \(read) bytes") }
                }
                let now = monotonicNanoseconds()
                latency.record(nanoseconds: now &- last)
                last = now
            }
            count += 16
            progress.add(16)
        }
        return (count, latency)
    }
}
