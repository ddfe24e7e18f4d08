// Whole-file reads and writes by path: open, move every byte through the ring, close on
// every path (success, error, cancellation).
//
// readAll sizes its buffer from statx but does not trust it: it reads until a read
// returns 0, so files that grow, and /proc or /sys files whose size statx reports as 0,
// come back whole.

extension FileSystem {
    /// How `write(contentsOf:to:)` opens its file.
    public struct WriteOptions: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Fail with EEXIST instead of replacing an existing file (O_EXCL).
        public static let exclusiveCreate = WriteOptions(rawValue: 1 << 0)
        /// Add to the end of an existing file instead of truncating it (O_APPEND).
        public static let append = WriteOptions(rawValue: 1 << 1)
        /// fsync the file before closing it.
        public static let synchronize = WriteOptions(rawValue: 1 << 2)
    }

    /// The first read's size when statx reports no size (a /proc file, a pipe).
    static let unsizedReadChunk = 64 * 1024

    /// Every byte of the file at `path`.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`
    ///   (ENOENT, EACCES, EISDIR for a directory, ...); `Errno.noMemory` for a file
    ///   larger than the memory the process can get.
    public static func readAll(_ path: FilePath) async throws -> [UInt8] {
        let file = try await File.open(path, .readOnly)
        return try await closing(file) { file in
            let size = try await file.status().size
            // One byte more than the size, so the read that finds the end needs no growth.
            let capacity = size > 0 ? min(Int(clamping: size), Int.max - 1) + 1 : unsizedReadChunk
            let buffer = try GrowableBuffer(capacity: capacity)
            var count = 0
            while true {
                if count == buffer.capacity { try buffer.grow() }
                let read = try await file.read(into: buffer.unused(after: count), at: Int64(count))
                if read == 0 { break }
                count += read
            }
            return buffer.bytes(count)
        }
    }

    /// Writes `bytes` to the file at `path`, creating it with `permissions` (the umask
    /// applies) or truncating it, unless `options` say otherwise.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`
    ///   (EEXIST with `.exclusiveCreate`, ENOENT for a missing directory, ...).
    public static func write(
        contentsOf bytes: [UInt8], to path: FilePath, options: WriteOptions = [],
        permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    ) async throws {
        var openOptions: FileDescriptor.OpenOptions = [.create]
        openOptions.insert(options.contains(.append) ? .append : .truncate)
        if options.contains(.exclusiveCreate) { openOptions.insert(.exclusiveCreate) }
        let file = try await File.open(path, .writeOnly, options: openOptions, permissions: permissions)
        try await closing(file) { file in
            try await file.write(bytes, at: 0)
            if options.contains(.synchronize) { try await file.sync() }
        }
    }
}

/// A byte buffer that readAll fills through the ring and grows between reads.
private final class GrowableBuffer {
    // Safety: owned by this object, freed in deinit; the ring writes it only during an
    // awaited read, never while it is being grown.
    private var storage: UnsafeMutableRawBufferPointer

    /// A file whose size is more than memory (a sparse file, /proc/kcore) throws ENOMEM.
    init(capacity: Int) throws {
        storage = try IOBuffer.allocate(byteCount: capacity)
    }

    deinit { IOBuffer.free(storage) }

    var capacity: Int { storage.count }

    /// Doubles the capacity, keeping the contents; ENOMEM when memory runs out.
    func grow() throws {
        let (doubled, overflow) = storage.count.multipliedReportingOverflow(by: 2)
        guard !overflow else { throw Errno.noMemory }
        let larger = try IOBuffer.allocate(byteCount: doubled)
        larger.copyMemory(from: UnsafeRawBufferPointer(storage))
        IOBuffer.free(storage)
        storage = larger
    }

    /// The bytes from `start` to the end of the buffer.
    func unused(after start: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[start...])
    }

    func bytes(_ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: storage[..<count]))
    }
}
