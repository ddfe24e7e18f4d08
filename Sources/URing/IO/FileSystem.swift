// FileSystem: path operations through the ring (unlinkat, renameat, mkdirat, statx).
//
// Each call copies its paths into PathBuffers the slot keeps alive until the CQE, so the
// caller's FilePath need not outlive the await. Empty paths are rejected before any SQE
// (URingError.invalidArgument); everything the kernel refuses arrives as its `Errno`.

import Glibc

/// File system operations on paths, through io_uring.
public enum FileSystem {
    /// Removes the file (or symbolic link, or other non-directory) at `path` (unlink(2)).
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`
    ///   (ENOENT, EISDIR for a directory, EACCES, ...).
    public static func unlink(_ path: FilePath) async throws {
        try await perform(UnlinkAtOperation(path: try PathBuffer(path), flags: 0))
    }

    /// Removes the empty directory at `path` (rmdir(2)).
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`
    ///   (ENOENT, ENOTEMPTY, ENOTDIR, ...).
    public static func removeDirectory(_ path: FilePath) async throws {
        try await perform(UnlinkAtOperation(path: try PathBuffer(path), flags: AT_REMOVEDIR))
    }

    /// Renames `source` to `destination`, replacing a file already there (rename(2)).
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`
    ///   (ENOENT, ENOTEMPTY for a non-empty directory in the way, EXDEV, ...).
    public static func rename(_ source: FilePath, to destination: FilePath) async throws {
        let paths = RenameAtOperation.Paths(source: try PathBuffer(source), destination: try PathBuffer(destination))
        try await perform(RenameAtOperation(paths: paths, flags: 0))
    }

    /// Creates a directory at `path` (mkdir(2)); the process umask applies to `permissions`.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`
    ///   (EEXIST, ENOENT for a missing parent, ...).
    public static func createDirectory(
        _ path: FilePath, permissions: FilePermissions = [.ownerReadWriteExecute, .groupReadExecute, .otherReadExecute]
    ) async throws {
        try await perform(MakeDirectoryAtOperation(path: try PathBuffer(path), mode: permissions.rawValue))
    }

    /// What statx(2) reports about `path`; about a symbolic link itself when
    /// `followSymlinks` is false.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; the kernel's `Errno`.
    public static func status(of path: FilePath, followSymlinks: Bool = true) async throws -> FileStatus {
        FileStatus(try await perform(StatxOperation(path: try PathBuffer(path), followSymlinks: followSymlinks)))
    }

    /// Runs `body` with `file`, then closes it whether `body` returned or threw (unless
    /// `body` closed it itself). A failed close is reported only when `body` succeeded.
    static func closing<Result>(_ file: File, _ body: (File) async throws -> Result) async throws -> Result {
        let result: Result
        do {
            result = try await body(file)
        } catch {
            await closeAfterError(file)
            throw error
        }
        if !file.isClosed { try await file.close() }
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
