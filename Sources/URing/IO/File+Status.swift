// The metadata of an open File, through the ring (IORING_OP_STATX with AT_EMPTY_PATH).

extension File {
    /// What statx(2) reports about this file.
    ///
    /// - Throws: `URingError.closed`; the kernel's `Errno`.
    public func status() async throws -> FileStatus {
        FileStatus(try await withUse { try await perform(StatxOperation(descriptor: descriptor)) })
    }
}
