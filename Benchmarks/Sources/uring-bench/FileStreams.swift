// The swift-uring engines' workload, through the public API only: open a File (with
// `.direct` for O_DIRECT), start `iodepth` tasks in a task group, each awaiting
// `File.read(into:at:)` (or `write`) in a loop on its own slice of one `AlignedBuffer` until
// the deadline. Each op is timed from the end of the previous one (one clock read per op).
// Runs on whatever executor the caller's task is on: the default runtime (swift-uring) or a
// dedicated one (swift-uring-run).

import Glibc
import URing

struct StreamsMeasurement: Sendable {
    var operations: Int
    var elapsed: Duration
    var cpu: Duration
    var latency: LatencyRecorder
}

/// The concurrent part shared by the task-based engines (swift-uring, swift-uring-run,
/// nio): `iodepth` streams in a task group until the workload's deadline, each timing
/// its operations from the end of the previous one (one clock read per op).
enum ConcurrentStreams {
    /// Runs `iodepth` streams; `stream(index, deadline)` is one stream's loop (usually
    /// `timedLoop`), returning its operation count and latencies.
    static func measure(
        _ workload: Workload,
        stream: @escaping @Sendable (_ index: Int, _ deadline: UInt64) async throws -> (Int, LatencyRecorder)
    ) async throws -> StreamsMeasurement {
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(workload.runtime.seconds * 1e9)
        let cpuStart = processCPUTime()
        let (operations, latency) = try await withThrowingTaskGroup(of: (Int, LatencyRecorder).self) { group in
            for index in 0..<workload.ioDepth {
                group.addTask { try await stream(index, deadline) }
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
        return StreamsMeasurement(operations: operations, elapsed: elapsed, cpu: processCPUTime() - cpuStart, latency: latency)
    }

    /// Calls `operation` in batches of 16 until `deadline`, recording the latency of the
    /// first of each batch (1 operation in 16: a clock read and a histogram update per
    /// operation cost more than a whole `raw` operation's user time) and reporting
    /// progress; returns the count and the latencies.
    @inline(__always)
    static func timedLoop(
        until deadline: UInt64, progress: Progress, _ operation: () async throws -> Void
    ) async throws -> (Int, LatencyRecorder) {
        var latency = LatencyRecorder()
        var count = 0
        var now = monotonicNanoseconds()
        while now < deadline {
            try await operation()
            let sampled = monotonicNanoseconds()
            latency.record(nanoseconds: sampled &- now)
            for _ in 1..<16 {
                try await operation()
            }
            now = monotonicNanoseconds()
            count += 16
            progress.add(16)
        }
        return (count, latency)
    }
}

enum FileStreams {
    /// `fixedBuffers`: the runtime's pool (swift-uring+fixed-buffers); each stream then
    /// reads into a buffer leased from it, which the rings registered (READ_FIXED).
    /// `registeredFiles`: the runtime's table (swift-uring+registered-files); the file is
    /// registered with it, so its reads name a slot (IOSQE_FIXED_FILE).
    static func run(
        _ workload: Workload, progress: Progress, fixedBuffers: FixedBufferPool? = nil,
        registeredFiles: RegisteredFiles? = nil
    ) async throws -> StreamsMeasurement {
        let file = try await File.open(workload.path, workload.openMode, options: workload.openOptions)
        if let registeredFiles {
            guard registeredFiles.isRegistered else {
                throw EngineFailure(
                    description: "the rings refused the registered file table: \(String(describing: registeredFiles.registrationError))")
            }
            try registeredFiles.register(file)
        }
        let cursor = SequentialCursor()
        // Without fixed buffers, every stream's buffer is a slice of one AlignedBuffer of
        // at least a huge page, as AlignedBuffer's documentation advises for concurrent
        // O_DIRECT transfers (physically contiguous memory; ring and raw do the same).
        let memory: StreamMemory = try fixedBuffers.map { .fixed($0) } ?? .shared(StreamBuffers(workload))
        let measured = try await ConcurrentStreams.measure(workload) { index, deadline in
            try await runStream(
                index, file: file, workload: workload, cursor: cursor, deadline: deadline, progress: progress,
                memory: memory)
        }
        try await file.close()
        return measured
    }

    private static func runStream(
        _ stream: Int, file: File, workload: Workload, cursor: SequentialCursor, deadline: UInt64,
        progress: Progress, memory: StreamMemory
    ) async throws -> (Int, LatencyRecorder) {
        let blockSize = workload.blockSize
        // This stream's slice of URing's aligned buffer (4 KiB aligned: what O_DIRECT
        // needs on any device), or one of the runtime's fixed buffers (page-aligned too);
        // either is released with the closure below, after this stream's last read or
        // write returned.
        let aligned: AnyObject
        let bytes: UnsafeMutableRawBufferPointer
        switch memory {
        case .shared(let region):
            (aligned, bytes) = (region.buffer, region.slice(stream, blockSize: blockSize))
        case .fixed(let fixedBuffers):
            guard let fixed = fixedBuffers.take() else {
                throw EngineFailure(description: "the runtime's \(fixedBuffers.count) fixed buffers are fewer than iodepth")
            }
            guard fixed.bytes.count >= blockSize else {
                throw EngineFailure(description: "fixed buffers of \(fixed.bytes.count) bytes are smaller than --bs")
            }
            (aligned, bytes) = (fixed, UnsafeMutableRawBufferPointer(rebasing: fixed.bytes[..<blockSize]))
        }
        bytes.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: stream) | 1)
        let isWrite = workload.pattern.isWrite
        var offsets = OffsetGenerator(workload: workload, stream: stream, cursor: cursor)
        defer { withExtendedLifetime(aligned) {} }
        return try await ConcurrentStreams.timedLoop(until: deadline, progress: progress) {
            if isWrite {
                try await file.write(UnsafeRawBufferPointer(bytes), at: offsets.next())
            } else {
                let read = try await file.read(into: bytes, at: offsets.next())
                guard read == blockSize else { throw EngineFailure(description: "read returned \(read) bytes") }
            }
        }
    }
}

/// Where a run's streams read and write: a buffer leased from the runtime's fixed-buffer
/// pool each (swift-uring+fixed-buffers), or a slice each of one shared AlignedBuffer.
enum StreamMemory: Sendable {
    case fixed(FixedBufferPool)
    case shared(StreamBuffers)
}

/// One AlignedBuffer for all of a run's streams, `iodepth × bs` rounded up to whole huge
/// pages: the memory AlignedBuffer backs with transparent huge pages, so a block of up to
/// 2 MiB is physically contiguous (one segment per transfer at the device).
struct StreamBuffers: @unchecked Sendable {  // each stream touches only its own slice; the run keeps the buffer alive
    let buffer: AlignedBuffer

    init(_ workload: Workload) throws {
        buffer = try AlignedBuffer(byteCount: streamRegionSize(depth: workload.ioDepth, blockSize: workload.blockSize))
    }

    func slice(_ stream: Int, blockSize: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[stream * blockSize..<(stream + 1) * blockSize])
    }
}

/// `depth × blockSize` rounded up to a multiple of `AlignedBuffer.hugePageSize`.
func streamRegionSize(depth: Int, blockSize: Int) -> Int {
    let huge = AlignedBuffer.hugePageSize
    return (depth * blockSize + huge - 1) / huge * huge
}
