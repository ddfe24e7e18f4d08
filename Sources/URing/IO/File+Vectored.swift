// Vectored I/O on a File: readv/writev at an offset through the ring.
//
// Arguments are checked before any SQE (negative offset, more than IOV_MAX buffers,
// lengths adding up past Int.max). Each SQE gets its own IOVectors, kept alive by the
// slot until the CQE; a short transfer continues from where it stopped by rebuilding the
// vectors past the bytes already moved. The caller's buffers are only touched by the
// kernel while the call is suspended: every call returns after its last CQE.

import Glibc

extension File {
    /// The most buffers one readv/writev takes (Linux's IOV_MAX; Glibc hides the macro).
    public static let maximumVectorCount = 1024

    /// The most bytes one readv/writev moves (Linux's MAX_RW_COUNT: INT_MAX page-aligned).
    static let maximumTransfer = 0x7fff_f000

    /// Reads into `buffers`, in order, from `offset` (readv). Returns the bytes read: fewer
    /// than the buffers hold only at end of file (or, for a pipe or socket, when less
    /// was available).
    ///
    /// - Throws: `URingError.invalidArgument` for a negative offset, more than
    ///   `maximumVectorCount` buffers, or buffers that add up to more than `Int.max`
    ///   bytes; `URingError.closed`; on an O_DIRECT file, `URingError.misalignedDirectIO`
    ///   for a buffer whose address or length, or an offset, the device cannot take;
    ///   the kernel's `Errno`.
    public func read(into buffers: [UnsafeMutableRawBufferPointer], at offset: Int64) async throws -> Int {
        let start = try Self.validOffset(offset)
        let pieces = buffers.map { (base: $0.baseAddress, length: $0.count) }
        let total = try Self.validTotal(of: pieces)
        if total == 0 { return 0 }
        try checkDirectAlignment(of: pieces, offset: start)
        return try await withUse {
            var done = 0
            while done < total {
                let rest = Self.pieces(pieces, skipping: done)
                let count: Int
                do {
                    count = try await perform(
                        ReadVectorOperation(
                            descriptor: descriptor, vectors: IOVectors(rest), offset: start + UInt64(done), registeredFile: registeredFileUse),
                        cancellable: !completesPromptly, directIO: isDirect)
                } catch {
                    throw directIOError(error, rest.first?.base, count: total - done, offset: start + UInt64(done))
                }
                let asked = min(total - done, Self.maximumTransfer)
                done += count
                // Short of what one SQE could carry: end of file, or all a stream had.
                if count < asked { break }
            }
            return done
        }
    }

    /// Writes all of `buffers`, in order, from `offset` (writev), continuing after short
    /// writes from the first byte not yet written.
    ///
    /// - Throws: `URingError.invalidArgument` for a negative offset, more than
    ///   `maximumVectorCount` buffers, or buffers that add up to more than `Int.max`
    ///   bytes; `URingError.closed`; on an O_DIRECT file, `URingError.misalignedDirectIO`
    ///   for a buffer whose address or length, or an offset, the device cannot take; the
    ///   kernel's `Errno` (ENOSPC when it accepts 0 bytes).
    public func write(_ buffers: [UnsafeRawBufferPointer], at offset: Int64) async throws {
        let start = try Self.validOffset(offset)
        // Safety: writev only reads through these pointers; iovec's field is mutable by type only.
        let pieces = buffers.map { (base: UnsafeMutableRawPointer(mutating: $0.baseAddress), length: $0.count) }
        let total = try Self.validTotal(of: pieces)
        if total == 0 { return }
        try checkDirectAlignment(of: pieces, offset: start)
        try await withUse {
            var done = 0
            while done < total {
                let rest = Self.pieces(pieces, skipping: done)
                let count: Int
                do {
                    count = try await perform(
                        WriteVectorOperation(
                            descriptor: descriptor, vectors: IOVectors(rest), offset: start + UInt64(done), registeredFile: registeredFileUse),
                        cancellable: !completesPromptly, directIO: isDirect)
                } catch {
                    throw directIOError(error, rest.first?.base, count: total - done, offset: start + UInt64(done))
                }
                if count == 0 { throw Errno.noSpace }
                done += count
            }
        }
    }

    /// On an O_DIRECT file, throws `URingError.misalignedDirectIO` for the first non-empty
    /// piece whose address or length is not a multiple of 512, or for an offset that is not.
    func checkDirectAlignment(of pieces: [(base: UnsafeMutableRawPointer?, length: Int)], offset: UInt64) throws {
        guard isDirect else { return }
        for piece in pieces where piece.length > 0 {
            try checkDirectAlignment(piece.base, count: piece.length, offset: offset)
        }
    }

    /// The total length of `pieces`, or the error for too many or too long.
    static func validTotal(of pieces: [(base: UnsafeMutableRawPointer?, length: Int)]) throws -> Int {
        guard pieces.count <= maximumVectorCount else {
            throw URingError.invalidArgument(
                "at most \(maximumVectorCount) buffers (IOV_MAX) per call, got \(pieces.count)")
        }
        var total = 0
        for piece in pieces {
            let (sum, overflow) = total.addingReportingOverflow(piece.length)
            guard !overflow else { throw URingError.invalidArgument("the buffers add up to more than Int.max bytes") }
            total = sum
        }
        return total
    }

    /// `pieces` without their first `skipping` bytes (dropping empty ones).
    static func pieces(
        _ pieces: [(base: UnsafeMutableRawPointer?, length: Int)], skipping: Int
    ) -> [(base: UnsafeMutableRawPointer?, length: Int)] {
        var skip = skipping
        var rest: [(base: UnsafeMutableRawPointer?, length: Int)] = []
        rest.reserveCapacity(pieces.count)
        for piece in pieces where piece.length > 0 {
            if skip >= piece.length {
                skip -= piece.length
                continue
            }
            rest.append((piece.base.map { $0 + skip }, piece.length - skip))
            skip = 0
        }
        return rest
    }
}
