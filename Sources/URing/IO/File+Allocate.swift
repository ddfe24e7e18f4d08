// Reserving, zeroing and punching space in a File through the ring (IORING_OP_FALLOCATE).
// Offsets and lengths are checked before any SQE; the mode bits are fallocate(2)'s.

extension File {
    /// fallocate(2) modes. The empty set allocates the range, growing the file if needed.
    public struct AllocationMode: OptionSet, Sendable, Hashable {
        /// The FALLOC_FL_* bits passed to fallocate(2).
        public let rawValue: Int32
        /// The mode with these FALLOC_FL_* bits; the kernel rejects combinations it does not
        /// support (EINVAL, EOPNOTSUPP).
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// FALLOC_FL_KEEP_SIZE: allocate without changing the file's size.
        public static let keepSize = AllocationMode(rawValue: 0x01)
        /// FALLOC_FL_PUNCH_HOLE: free the range (reads then give zeros); needs `keepSize`.
        public static let punchHole = AllocationMode(rawValue: 0x02)
        /// FALLOC_FL_COLLAPSE_RANGE: remove the range, shifting what follows down.
        public static let collapseRange = AllocationMode(rawValue: 0x08)
        /// FALLOC_FL_ZERO_RANGE: zero the range, allocating it.
        public static let zeroRange = AllocationMode(rawValue: 0x10)
        /// FALLOC_FL_INSERT_RANGE: insert a hole at the offset, shifting what follows up.
        public static let insertRange = AllocationMode(rawValue: 0x20)
        /// FALLOC_FL_UNSHARE_RANGE: unshare blocks shared with other files (reflinks).
        public static let unshareRange = AllocationMode(rawValue: 0x40)
    }

    /// Allocates (or, per `mode`, zeroes, punches, ...) `length` bytes from `offset`.
    ///
    /// - Throws: `URingError.invalidArgument` for a negative offset, a length that is not
    ///   positive, a range ending past `Int64.max`, or `punchHole` without `keepSize`;
    ///   `URingError.closed`; the kernel's `Errno` (EOPNOTSUPP where the file system
    ///   lacks the mode, ENOSPC).
    public func allocate(offset: Int64, length: Int64, mode: AllocationMode = []) async throws {
        _ = try Self.validOffset(offset)
        guard length > 0 else { throw URingError.invalidArgument("length must be positive, got \(length)") }
        guard !offset.addingReportingOverflow(length).overflow else {
            throw URingError.invalidArgument("offset \(offset) + length \(length) is past Int64.max")
        }
        if mode.contains(.punchHole) && !mode.contains(.keepSize) {
            throw URingError.invalidArgument("punchHole must be combined with keepSize")
        }
        try await withUse {
            try await perform(
                AllocateOperation(descriptor: descriptor, mode: mode.rawValue, offset: offset, length: length))
        }
    }
}
