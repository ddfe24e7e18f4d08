// File reads into and writes from ByteBuffer (the NIO trait), without copies: the ring
// reads into and writes from the buffer's own storage (ByteBufferAccess.swift says why
// that is safe across the await).

#if NIO
import NIOCore

extension File {
    /// Reads up to `count` bytes from `offset` and appends them to `buffer` (at its
    /// writer index, growing it when needed); returns how many were read (fewer at end of
    /// file, 0 at or past it).
    ///
    /// - Throws: `URingError.invalidArgument` for a negative count or offset, or when the
    ///   buffer would pass ByteBuffer's 4 GiB limit; what `read(into:at:)` throws. On a
    ///   throw the buffer's readable bytes are unchanged.
    @discardableResult
    public func read(into buffer: inout ByteBuffer, count: Int, at offset: Int64) async throws -> Int {
        guard count >= 0 else { throw URingError.invalidArgument("count must not be negative, got \(count)") }
        _ = try Self.validOffset(offset)
        let region = try buffer.writableRegion(count: count, what: "a read")
        let read = try await self.read(into: region, at: offset)
        buffer.moveWriterIndex(forwardBy: read)
        return read
    }

    /// Reads up to `count` bytes from `offset` into a new buffer from `allocator` (fewer
    /// at end of file; empty at or past it).
    public func read(count: Int, at offset: Int64, allocator: ByteBufferAllocator) async throws -> ByteBuffer {
        guard count >= 0 else { throw URingError.invalidArgument("count must not be negative, got \(count)") }
        var buffer = allocator.buffer(capacity: 0)
        try await read(into: &buffer, count: count, at: offset)
        return buffer
    }

    /// Writes all readable bytes of `buffer` at `offset`, continuing after short writes;
    /// the buffer's indices do not move.
    public func write(_ buffer: ByteBuffer, at offset: Int64) async throws {
        try await write(buffer.readableRegion(), at: offset)
        // The region is the buffer's storage: it stays alive until the call returned.
        withExtendedLifetime(buffer) {}
    }
}
#endif
