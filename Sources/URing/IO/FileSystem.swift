// FileSystem: path operations through the ring (unlinkat, renameat, mkdirat, statx).
//
// Each call copies its paths into PathBuffers the slot keeps alive until the CQE, so the
// caller's FilePath need not outlive the await. Empty paths are rejected before any SQE
// (URingError.invalidArgument); everything the kernel refuses arrives as a PathError
// naming the path and the system call, with the kernel's errno (the rule is in
// PathError.swift's header).

import Glibc

/// File system operations on paths, through io_uring.
public enum FileSystem {
    /// Removes the file (or symbolic link, or other non-directory) at `path` (unlink(2)).
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `path` and "unlinkat" for the kernel's errors (ENOENT, EISDIR for a directory,
    ///   EACCES, ...).
    public static func unlink(_ path: FilePath) async throws {
        let operation = UnlinkAtOperation(path: try PathBuffer(path), flags: 0)
        try await PathError.naming(path, "unlinkat") { try await perform(operation) }
    }

    /// Removes the empty directory at `path` (rmdir(2)).
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `path` and "unlinkat" (with AT_REMOVEDIR) for the kernel's errors (ENOENT,
    ///   ENOTEMPTY, ENOTDIR, ...).
    public static func removeDirectory(_ path: FilePath) async throws {
        let operation = UnlinkAtOperation(path: try PathBuffer(path), flags: AT_REMOVEDIR)
        try await PathError.naming(path, "unlinkat") { try await perform(operation) }
    }

    /// Renames `source` to `destination`, replacing a file already there (rename(2)).
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `source` as its `path`, `destination` as its `otherPath`, and "renameat2" for the
    ///   kernel's errors (ENOENT, ENOTEMPTY for a non-empty directory in the way, EXDEV, ...;
    ///   the kernel does not say which path its errno is about).
    public static func rename(_ source: FilePath, to destination: FilePath) async throws {
        let paths = RenameAtOperation.Paths(source: try PathBuffer(source), destination: try PathBuffer(destination))
        try await PathError.naming(source, otherPath: destination, "renameat2") {
            try await perform(RenameAtOperation(paths: paths, flags: 0))
        }
    }

    /// Creates a directory at `path` (mkdir(2)); the process umask applies to `permissions`.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `path` and "mkdirat" for the kernel's errors (EEXIST, ENOENT for a missing
    ///   parent, ...).
    public static func createDirectory(
        _ path: FilePath, permissions: FilePermissions = [.ownerReadWriteExecute, .groupReadExecute, .otherReadExecute]
    ) async throws {
        let operation = MakeDirectoryAtOperation(path: try PathBuffer(path), mode: permissions.rawValue)
        try await PathError.naming(path, "mkdirat") { try await perform(operation) }
    }

    /// What statx(2) reports about `path`; about a symbolic link itself when
    /// `followSymlinks` is false.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; ``PathError`` naming
    ///   `path` and "statx" for the kernel's errors (ENOENT, ENOTDIR, EACCES, ...).
    public static func status(of path: FilePath, followSymlinks: Bool = true) async throws -> FileStatus {
        let operation = StatxOperation(path: try PathBuffer(path), followSymlinks: followSymlinks)
        return FileStatus(try await PathError.naming(path, "statx") { try await perform(operation) })
    }

    /// Runs `body` with `file` (opened from `path`), then closes it whether `body` returned
    /// or threw (unless `body` closed it itself). A failed close is reported only when
    /// `body` succeeded, as a PathError naming `path` and "close".
    static func closing<Result>(
        _ file: File, path: FilePath, _ body: (File) async throws -> Result
    ) async throws -> Result {
        let result: Result
        do {
            result = try await body(file)
        } catch {
            await closeAfterError(file)
            throw error
        }
        if !file.isClosed { try await PathError.naming(path, "close") { try await file.close() } }
        return result
    }

    /// Closes `file` after a failure, also when the failure was this task's cancellation:
    /// a cancelled task cannot start ring operations, so then close(2) runs directly, once
    /// the file's calls in flight have finished.
    private static func closeAfterError(_ file: File) async {
        if !Task.isCancelled, (try? await file.close()) != nil { return }
        if await file.uses.close() { _ = Glibc.close(file.descriptor.rawValue) }
    }
}
