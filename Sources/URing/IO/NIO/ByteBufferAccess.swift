// How the NIO trait lends a ByteBuffer's memory to the ring without copying it.
//
// ByteBuffer only hands out its bytes inside synchronous closures, while a ring call
// suspends. The pointer is therefore taken out of the closure and used across the await.
// That is sound here because (1) every swift-uring call returns only after its CQE (also
// when cancelled), so the kernel is done with the memory when the call returns; (2) for
// reads, the buffer is an `inout` parameter: Swift's exclusivity gives the call sole
// access for its whole duration, and `withUnsafeMutableWritableBytes` first made the
// storage unique (copy-on-write), so nothing else can free, move or write it meanwhile;
// (3) for writes and sends, the buffer is a parameter the caller keeps alive for the call,
// and its storage is only read, so a copy elsewhere that mutates gets its own storage.

#if NIO
import NIOCore

extension ByteBuffer {
    /// The most bytes one ByteBuffer can hold: its indices are 32 bits.
    static let largestCapacity = Int(UInt32.max)

    /// Grows the writable space to at least `count` bytes and returns its first `count`
    /// bytes; the caller then moves the writer index by what it wrote.
    ///
    /// - Throws: `URingError.invalidArgument` when the buffer would need more than
    ///   ByteBuffer's 4 GiB limit (ByteBuffer itself would stop the process).
    mutating func writableRegion(count: Int, what: String) throws -> UnsafeMutableRawBufferPointer {
        guard count <= Self.largestCapacity - writerIndex else {
            throw URingError.invalidArgument(
                "\(what) of \(count) bytes after \(writerIndex) would pass ByteBuffer's 4 GiB limit")
        }
        reserveCapacity(minimumWritableBytes: count)
        // Safety: see the top of this file; the region stays valid while the caller holds
        // this buffer `inout`, and the caller moves the writer index only by what was written.
        return withUnsafeMutableWritableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[..<count]) }
    }

    /// The readable bytes, for a call that only reads them and returns after its CQE.
    func readableRegion() -> UnsafeRawBufferPointer {
        // Safety: see the top of this file; the caller keeps `self` alive across the call.
        withUnsafeReadableBytes { $0 }
    }
}
#endif
