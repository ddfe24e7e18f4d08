// TCPStream receives into and sends from ByteBuffer (the NIO trait), without copies of
// the caller's bytes (ByteBufferAccess.swift says why that is safe across the await).

#if NIO
import NIOCore

extension TCPStream {
    /// Receives what has arrived, up to `maxCount` bytes, and appends it to `buffer`;
    /// returns how many bytes came, 0 at end of stream. As `receive(into:)` does, it waits
    /// until something has arrived.
    ///
    /// - Throws: `URingError.invalidArgument` for `maxCount < 1`, or when the buffer
    ///   would pass ByteBuffer's 4 GiB limit; what `receive(into:)` throws.
    @discardableResult
    public func receive(into buffer: inout ByteBuffer, maxCount: Int) async throws -> Int {
        guard maxCount > 0 else { throw URingError.invalidArgument("maxCount must be positive, got \(maxCount)") }
        let region = try buffer.writableRegion(count: min(maxCount, Self.largestReceive), what: "a receive")
        let count = try await receive(into: region)
        buffer.moveWriterIndex(forwardBy: count)
        return count
    }

    /// Sends all readable bytes of `buffer`, continuing after short sends; the buffer's
    /// indices do not move.
    public func send(_ buffer: ByteBuffer) async throws {
        try await send(buffer.readableRegion())
        // The region is the buffer's storage: it stays alive until the call returned.
        withExtendedLifetime(buffer) {}
    }
}
#endif
