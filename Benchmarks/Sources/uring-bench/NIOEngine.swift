// swift-nio's NIOFileSystem: the file is opened once, then `iodepth` tasks each await
// `readChunk(fromAbsoluteOffset:length:)` (or `write(contentsOf:toAbsoluteOffset:)`) in a
// loop. The tasks run on uring-bench's default executor (a URingRuntime); NIOFileSystem
// performs every read and write as a blocking call on its own NIOThreadPool, as it does
// in any program. It has no O_DIRECT option, so --direct skips it.

import NIOCore
import _NIOFileSystem
@_spi(ExperimentalCustomExecutors) import URing

struct NIOEngine: Engine {
    let name = "nio"

    func unavailableReason(_ workload: Workload) -> String? {
        workload.direct ? "NIOFileSystem cannot open files with O_DIRECT" : nil
    }

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let measured = try URingRuntimeFactory.shared.run {
            try await Self.measure(workload, progress: progress)
        }
        return RunResult(
            engine: name, operations: measured.operations,
            bytes: Int64(measured.operations) * Int64(workload.blockSize), elapsed: measured.elapsed,
            cpu: measured.cpu, latency: .recorded(measured.latency))
    }

    private static func measure(_ workload: Workload, progress: Progress) async throws -> StreamsMeasurement {
        let fileSystem = FileSystem.shared
        let path = FilePath(workload.path.string)
        // Read-write for every pattern: one handle type; opening it once is not measured.
        let handle = try await fileSystem.openFile(
            forReadingAndWritingAt: path, options: .init(existingFile: .open, newFile: nil))
        let cursor = SequentialCursor()
        let measured = try await ConcurrentStreams.measure(workload) { index, deadline in
            try await runStream(
                index, handle: handle, workload: workload, cursor: cursor, deadline: deadline, progress: progress)
        }
        try await handle.close()
        return measured
    }

    private static func runStream(
        _ stream: Int, handle: ReadWriteFileHandle, workload: Workload, cursor: SequentialCursor,
        deadline: UInt64, progress: Progress
    ) async throws -> (Int, LatencyRecorder) {
        let blockSize = workload.blockSize
        let isWrite = workload.pattern.isWrite
        let block = ByteBuffer(repeating: UInt8(truncatingIfNeeded: stream) | 1, count: blockSize)
        var offsets = OffsetGenerator(workload: workload, stream: stream, cursor: cursor)
        return try await ConcurrentStreams.timedLoop(until: deadline, progress: progress) {
            if isWrite {
                let written = try await handle.write(contentsOf: block, toAbsoluteOffset: offsets.next())
                guard written == blockSize else { throw EngineFailure(description: "nio wrote \(written) bytes") }
            } else {
                let chunk = try await handle.readChunk(fromAbsoluteOffset: offsets.next(), length: .bytes(Int64(blockSize)))
                guard chunk.readableBytes == blockSize else {
                    throw EngineFailure(description: "nio read \(chunk.readableBytes) bytes")
                }
            }
        }
    }
}
