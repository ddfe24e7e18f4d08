// Symbolic and hard links by path: creating them through the ring (IORING_OP_SYMLINKAT,
// IORING_OP_LINKAT, Linux 5.15), and reading a symbolic link's contents on the blocking
// pool, since io_uring has no readlink opcode. Empty paths are rejected before anything
// runs; the kernel's errors arrive as a PathError naming the path (both paths, for the
// two-path calls) and the system call, and a readLink of something that is not a symbolic
// link says so (PathError, reason .notSymbolicLink).

import Glibc

extension FileSystem {
    /// The longest link contents `readLink` reads (Linux's PATH_MAX bounds what a
    /// symbolic link can hold; this leaves room for file systems that store more).
    static let longestLink = 1 << 16

    /// The contents of the symbolic link at `path`: the target it names, unresolved (a
    /// relative target stays relative to the link's directory).
    ///
    /// io_uring has no readlink opcode: the call runs readlink(2) on the blocking pool
    /// (`URingRuntime.runBlocking`'s), and a task cancelled while it waits there throws
    /// `CancellationError`.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; `PathError` with reason
    ///   `.notSymbolicLink` (errno EINVAL) when `path` is not a symbolic link, and naming
    ///   "readlink" for the kernel's other errors (ENOENT, EACCES, ENOTDIR, ...).
    public static func readLink(at path: FilePath) async throws -> FilePath {
        let buffer = try PathBuffer(path)
        return try await performBlocking {
            var capacity = 256
            while true {
                // Safety: owned by this iteration and freed before the next; readlink
                // writes at most `capacity` bytes and the last one is kept for the NUL.
                let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: capacity + 1)
                defer { bytes.deallocate() }
                let count = readlink(buffer.pointer, bytes, capacity)
                if count < 0 {
                    if errno == EINVAL { throw PathError(path: path, reason: .notSymbolicLink) }
                    throw PathError(path: path, systemCall: "readlink", errno: Errno(rawValue: errno))
                }
                if count < capacity {
                    bytes[count] = 0
                    return FilePath(platformString: bytes)
                }
                // Filled the buffer: the contents may have been cut short.
                guard capacity < longestLink else {
                    throw PathError(path: path, systemCall: "readlink", errno: .fileNameTooLong)
                }
                capacity *= 2
            }
        }
    }

    /// Creates a symbolic link at `link` whose contents are `target` (symlink(2)). The
    /// target is stored as given: it need not exist, and a relative target is resolved
    /// from the link's directory when the link is followed.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `link` as its `path`, `target` as its `otherPath`, and "symlinkat" for the
    ///   kernel's errors (EEXIST when something is at `link`, ENOENT for a missing
    ///   directory, ...).
    public static func createSymbolicLink(at link: FilePath, to target: FilePath) async throws {
        let paths = PathPair(try PathBuffer(target), try PathBuffer(link))
        try await PathError.naming(link, otherPath: target, "symlinkat") {
            try await perform(SymlinkAtOperation(paths: paths))
        }
    }

    /// Gives the file at `existing` a second name, `link` (a hard link, link(2)): both
    /// names then refer to the same file. A symbolic link at `existing` gets the new name
    /// itself; what it points to is not followed.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `link` as its `path`, `existing` as its `otherPath`, and "linkat" for the kernel's
    ///   errors (EEXIST when something is at `link`, ENOENT when `existing` is missing,
    ///   EXDEV across file systems, EPERM for a directory, ...; the kernel does not say
    ///   which path its errno is about).
    public static func createHardLink(at link: FilePath, to existing: FilePath) async throws {
        let paths = PathPair(try PathBuffer(existing), try PathBuffer(link))
        try await PathError.naming(link, otherPath: existing, "linkat") {
            try await perform(LinkAtOperation(paths: paths, flags: 0))
        }
    }
}
