// Flushing a File to storage through the ring (IORING_OP_FSYNC).

extension File {
    /// Flushes the file's data and metadata to storage (fsync(2)).
    public func sync() async throws {
        try await withUse { try await perform(SyncOperation(descriptor: descriptor, dataOnly: false)) }
    }

    /// Flushes the file's data, and only the metadata needed to read it back, to storage
    /// (fdatasync(2)).
    public func syncData() async throws {
        try await withUse { try await perform(SyncOperation(descriptor: descriptor, dataOnly: true)) }
    }
}
