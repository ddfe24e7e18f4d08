// Whole-file reads and writes by path: open, move every byte through the ring, close on
// every path (success, error, cancellation).
//
// readAll sizes its buffer from statx but does not trust it: it reads until a read
// returns 0, so files that grow, and /proc or /sys files whose size statx reports as 0,
// come back whole. Its buffer never grows past the caller's bound plus one byte: the
// byte that proves the file is larger than allowed.

extension FileSystem {
    /// How `write(contentsOf:to:)` opens its file.
    public struct WriteOptions: OptionSet, Sendable, Hashable {
        /// The options' bits (this type's own, not O_* values).
        public let rawValue: Int
        /// The options whose bits are set in `rawValue`.
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

    /// The most bytes `readAll` returns unless told otherwise: 64 MiB.
    ///
    /// readAll holds the whole file in memory, so it is for files known to be small
    /// (configuration, templates, assets); anything larger is better read in pieces with
    /// `File.read(into:at:)`. 64 MiB is far above such files, and low enough that a
    /// mistaken path (a log that grew, `/dev/zero`, a FIFO that never ends) costs at most
    /// that much memory instead of all of it.
    public static let defaultMaximumReadSize = 64 << 20

    /// Every byte of the file at `path`, refusing a file larger than `maximumSize` bytes.
    ///
    /// The size statx reports is checked first (a larger file is refused without being
    /// read), but not trusted: reading goes on until end of file, so files whose statx
    /// size is 0 (/proc, /sys, pipes) work, and the buffer never grows past
    /// `maximumSize + 1` bytes, so an endless file (`/dev/zero`) is refused too. The file
    /// is closed on every path.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path or a negative
    ///   `maximumSize`; `PathError` with reason `.fileTooLarge` (errno EFBIG) when the
    ///   file holds more than `maximumSize` bytes, and naming the system call for the
    ///   kernel's errors ("openat" with ENOENT or EACCES, "read" with EISDIR for a
    ///   directory, ...); `Errno.noMemory` when the buffer cannot be had (an allocation,
    ///   not a system call on the path).
    public static func readAll(at path: FilePath, maximumSize: Int = defaultMaximumReadSize) async throws -> [UInt8] {
        guard maximumSize >= 0 else {
            throw URingError.invalidArgument("maximumSize must not be negative, got \(maximumSize), for \(path)")
        }
        let file = try await File.open(path, .readOnly)
        return try await closing(file, path: path) { file in
            let size = try await PathError.naming(path, "statx") { try await file.status().size }
            if size > maximumSize { throw PathError(path: path, reason: .fileTooLarge(maximumSize: maximumSize)) }
            // One byte more than allowed is how a read past the bound shows itself; one
            // byte more than the size, so the read that finds the end needs no growth.
            let limit = maximumSize == Int.max ? Int.max : maximumSize + 1
            let capacity = size > 0 ? min(Int(size), Int.max - 1) + 1 : unsizedReadChunk
            let buffer = try GrowableBuffer(capacity: min(capacity, limit))
            var count = 0
            while true {
                if count == buffer.capacity {
                    if count == limit { throw PathError(path: path, reason: .fileTooLarge(maximumSize: maximumSize)) }
                    try buffer.grow(upTo: limit)
                }
                let read = try await PathError.naming(path, "read") {
                    try await file.read(into: buffer.unused(after: count), at: Int64(count))
                }
                if read == 0 { break }
                count += read
            }
            return buffer.bytes(count)
        }
    }

    /// `readAll(at: path)`: every byte of the file at `path`, at most
    /// `defaultMaximumReadSize` of them.
    ///
    /// - Throws: what `readAll(at:maximumSize:)` throws.
    public static func readAll(_ path: FilePath) async throws -> [UInt8] {
        try await readAll(at: path)
    }

    /// Writes `bytes` to the file at `path`, creating it with `permissions` (the umask
    /// applies) or truncating it, unless `options` say otherwise.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `path` and the system call for the kernel's errors ("openat" with EEXIST for
    ///   `.exclusiveCreate` or ENOENT for a missing directory, "write" with ENOSPC,
    ///   "fsync", "close", ...).
    public static func write(
        contentsOf bytes: [UInt8], to path: FilePath, options: WriteOptions = [],
        permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    ) async throws {
        var openOptions: FileDescriptor.OpenOptions = [.create]
        openOptions.insert(options.contains(.append) ? .append : .truncate)
        if options.contains(.exclusiveCreate) { openOptions.insert(.exclusiveCreate) }
        let file = try await File.open(path, .writeOnly, options: openOptions, permissions: permissions)
        try await closing(file, path: path) { file in
            try await PathError.naming(path, "write") { try await file.write(bytes, at: 0) }
            if options.contains(.synchronize) { try await PathError.naming(path, "fsync") { try await file.sync() } }
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

    /// Doubles the capacity, but not past `limit`, keeping the contents; ENOMEM when
    /// memory runs out.
    func grow(upTo limit: Int) throws {
        let (doubled, overflow) = storage.count.multipliedReportingOverflow(by: 2)
        let larger = try IOBuffer.allocate(byteCount: overflow ? limit : min(doubled, limit))
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
