// A file as an AsyncSequence of chunks (`readChunks`), and writing one from any
// AsyncSequence of chunks (`write(contentsOf:at:)`).
//
// Read-ahead: when `next()` hands out chunk k, the read of chunk k + 1 is already
// submitted, in a task of its own (on the caller's runtime worker when there is one), so
// the consumer's work on chunk k overlaps the ring's read of the next. That read takes a
// use of the file when it is started, synchronously in `next()`: a `close()` afterwards
// waits for it, and the chunk it read is still handed out; the read after it finds the
// file closed. Reading ends at the end of the range or the first short read (end of
// file). An iterator released early cancels its read-ahead (ASYNC_CANCEL through the
// ring); nothing it read is kept.

import URingExecutor

extension File {
    /// The chunk size `readChunks` uses unless told otherwise: 128 KiB.
    public static let defaultChunkSize = 128 * 1024

    /// The bytes of `range` (default: the whole file) as an AsyncSequence of chunks of
    /// `chunkSize` bytes (the last may be shorter), read through the ring with one chunk of
    /// read-ahead: while you work on one chunk, the next is being read. The sequence ends
    /// at the end of `range` or at end of file, whichever comes first. The file stays
    /// yours: close it when done (a chunk already read ahead is still handed out after
    /// that; the next `next()` throws `URingError.closed`).
    ///
    /// - Throws: `URingError.invalidArgument` for a `chunkSize` below 1 or above 64 MiB,
    ///   or a range that starts below 0. From `next()`: what `read(into:at:)` throws
    ///   (`URingError.closed`; on an O_DIRECT file, whose chunks get memory aligned for
    ///   it and may end anywhere, `URingError.misalignedDirectIO` unless `chunkSize` and
    ///   the range's start are multiples of the device's logical block size; the
    ///   kernel's `Errno`), `Errno.noMemory`, `CancellationError`.
    public func readChunks(chunkSize: Int = File.defaultChunkSize, range: Range<Int64> = 0..<Int64.max) throws -> FileChunks {
        guard chunkSize >= 1 && chunkSize <= FileChunks.largestChunk else {
            throw URingError.invalidArgument("chunkSize must lie in 1...\(FileChunks.largestChunk), got \(chunkSize)")
        }
        guard range.lowerBound >= 0 else {
            throw URingError.invalidArgument("the range must not start below 0, got \(range.lowerBound)")
        }
        return FileChunks(file: self, chunkSize: chunkSize, range: range)
    }

    /// Writes every chunk of `chunks`, in order, one after another from `offset` (each
    /// written in full before the next is asked for); returns the bytes written.
    ///
    /// - Throws: `URingError.invalidArgument` for a negative offset; what
    ///   `write(_:at:)` throws (`URingError.closed`, the kernel's `Errno`, ENOSPC); what
    ///   the sequence throws. The chunks before a failure stay written.
    @discardableResult
    public func write<Chunks: AsyncSequence>(contentsOf chunks: Chunks, at offset: Int64) async throws -> Int64
    where Chunks.Element == [UInt8] {
        var position = Int64(try Self.validOffset(offset))
        for try await chunk in chunks {
            try await write(chunk, at: position)
            position += Int64(chunk.count)
        }
        return position - offset
    }

    /// One chunk at `offset`, inside a use the caller took (`uses.begin()`): the read
    /// must not check the closed bit again, so a read started before `close()` finishes.
    fileprivate func readChunk(count: Int, at offset: UInt64) async throws -> [UInt8] {
        // Safety: owned here and freed on every path after the read returned (the ring no
        // longer touches it then).
        let buffer = try IOBuffer.allocate(byteCount: ownReadSize(count), alignment: bufferAlignment)
        defer { IOBuffer.free(buffer) }
        try checkDirectAlignment(buffer.baseAddress, count: buffer.count, offset: offset)
        let read: Int
        do {
            read = try await perform(
                ReadOperation(descriptor: descriptor, buffer: buffer, offset: offset, registeredFile: registeredFileUse),
                directIO: isDirect)
        } catch {
            throw directIOError(error, buffer.baseAddress, count: buffer.count, offset: offset)
        }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[..<min(read, count)]))
    }
}

/// A file's bytes as chunks (`File.readChunks(chunkSize:range:)`). Each iterator reads
/// the range anew.
public struct FileChunks: AsyncSequence, Sendable {
    /// Each element is one chunk: `chunkSize` bytes, fewer for the last one.
    public typealias Element = [UInt8]

    /// The largest chunk `readChunks` accepts.
    public static let largestChunk = 64 << 20

    let file: File
    let chunkSize: Int
    let range: Range<Int64>

    /// A new iterator, which starts reading at the range's start on its first `next()`.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, chunkSize: chunkSize, next: range.lowerBound, end: range.upperBound)
    }

    /// Hands out chunks, keeping the read of the next one in flight.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let file: File
        private let chunkSize: Int
        /// Where the next chunk to hand out starts, and where the range ends.
        private var nextOffset: Int64
        private let end: Int64
        private var readAhead: ReadAhead?
        private var finished = false

        init(file: File, chunkSize: Int, next: Int64, end: Int64) {
            self.file = file
            self.chunkSize = chunkSize
            self.nextOffset = next
            self.end = end
        }

        /// The next chunk, or nil at the end of the range or of the file.
        public mutating func next() async throws -> [UInt8]? {
            if finished { return nil }
            let wanted = count(at: nextOffset)
            if wanted == 0 {
                finished = true
                return nil
            }
            let chunk: [UInt8]
            do {
                if let readAhead {
                    self.readAhead = nil
                    chunk = try await readAhead.value()
                } else {
                    chunk = try await file.read(count: wanted, at: nextOffset)
                }
            } catch {
                finished = true
                throw error
            }
            nextOffset += Int64(chunk.count)
            if chunk.count < wanted || count(at: nextOffset) == 0 {
                finished = true
            } else {
                readAhead = ReadAhead(file: file, count: count(at: nextOffset), offset: nextOffset)
            }
            return chunk.isEmpty ? nil : chunk
        }

        /// The bytes of the chunk that starts at `offset`.
        private func count(at offset: Int64) -> Int {
            Int(Swift.min(Int64(chunkSize), Swift.max(0, end - offset)))
        }
    }
}

/// The read of the next chunk, started before anyone asked for it; cancelled if the
/// iterator lets go of it unread.
final class ReadAhead: Sendable {
    private let task: Task<[UInt8], any Error>

    init(file: File, count: Int, offset: Int64) {
        guard file.uses.begin() else {
            task = Task { throw URingError.closed }
            return
        }
        // On the caller's worker when there is one, so the read goes to that ring.
        task = Task(executorPreference: URingExecutor.current?.executor) {
            defer { file.uses.end() }
            return try await file.readChunk(count: count, at: UInt64(offset))
        }
    }

    deinit { task.cancel() }

    /// The chunk; cancelling the waiting task cancels the read.
    func value() async throws -> [UInt8] {
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
