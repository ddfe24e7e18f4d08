// A file read as an AsyncSequence of ByteBuffer chunks (the NIO trait).
//
// Each `next()` is one read through the ring into a fresh buffer from the allocator: no
// read-ahead, so a chunk is read when asked for. The sequence does not own the file: the
// caller closes it after iterating. A short read is not the end (the next chunk starts
// where it stopped); a read of 0 bytes is.

#if NIO
import NIOCore

extension File {
    /// The file's bytes in `range` (to end of file when it reaches past it), as chunks of
    /// at most `chunkSize` bytes from `allocator`.
    ///
    /// - Throws: `URingError.invalidArgument` for a chunk size below 1 or above
    ///   ByteBuffer's 4 GiB limit, or a range that starts below 0. Iterating throws what
    ///   `read(into:count:at:)` throws (`URingError.closed` once the file is closed;
    ///   on an O_DIRECT file, `URingError.misalignedDirectIO` whenever the ByteBuffer's
    ///   memory is not aligned for it, which is most of the time: read such a file with
    ///   `readChunks(chunkSize:range:)`).
    public func readChunks(
        chunkSize: Int = 128 * 1024, range: Range<Int64> = 0..<Int64.max, allocator: ByteBufferAllocator
    ) throws -> FileByteBufferChunks {
        guard chunkSize > 0, chunkSize <= ByteBuffer.largestCapacity else {
            throw URingError.invalidArgument("chunkSize must be in 1...\(ByteBuffer.largestCapacity), got \(chunkSize)")
        }
        guard range.lowerBound >= 0 else {
            throw URingError.invalidArgument("range must not start below 0, got \(range)")
        }
        return FileByteBufferChunks(file: self, chunkSize: chunkSize, range: range, allocator: allocator)
    }
}

/// A file's bytes as ByteBuffer chunks; see `File.readChunks(chunkSize:range:allocator:)`.
public struct FileByteBufferChunks: AsyncSequence, Sendable {
    /// Each element is one chunk: `chunkSize` bytes, fewer for the last one.
    public typealias Element = ByteBuffer
    /// What `next()` throws: the errors `File.read(into:count:at:)` throws.
    public typealias Failure = any Error

    let file: File
    let chunkSize: Int
    let range: Range<Int64>
    let allocator: ByteBufferAllocator

    /// A new iterator, which starts reading at the range's start on its first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(file: file, chunkSize: chunkSize, next: range.lowerBound, end: range.upperBound, allocator: allocator)
    }

    /// Reads one chunk per `next()` into a fresh ByteBuffer (no read-ahead).
    public struct Iterator: AsyncIteratorProtocol {
        /// Each element is one chunk.
        public typealias Element = ByteBuffer
        /// What `next()` throws.
        public typealias Failure = any Error

        let file: File
        let chunkSize: Int
        var next: Int64
        let end: Int64
        let allocator: ByteBufferAllocator

        /// The next chunk, or nil at the end of the range or of the file.
        ///
        /// - Throws: `URingError.closed` once the file is closed; the kernel's `Errno`.
        public mutating func next() async throws -> ByteBuffer? {
            guard next < end else { return nil }
            let count = Int(Swift.min(Int64(chunkSize), end - next))
            var chunk = allocator.buffer(capacity: count)
            let read = try await file.read(into: &chunk, count: count, at: next)
            guard read > 0 else {
                next = end
                return nil
            }
            next += Int64(read)
            return chunk
        }
    }
}
#endif
