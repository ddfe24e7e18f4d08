// Opening files through the ring (IORING_OP_OPENAT), and scoped opens (`withOpen`) that
// close the file on every path: return, throw, cancellation.

import Glibc

extension File {
    /// Opens `path` through the ring. Every descriptor is opened with O_CLOEXEC.
    ///
    /// - Parameters:
    ///   - mode: read, write, or both.
    ///   - options: O_CREAT, O_TRUNC, O_APPEND, O_DIRECT, ... as swift-system's OpenOptions.
    ///   - permissions: the mode of a file that `.create` makes; required with `.create`.
    /// - Throws: `URingError.invalidArgument` for an empty path or `.create` without
    ///   permissions; the kernel's `Errno` (ENOENT, EACCES, EISDIR, ...) otherwise.
    public static func open(
        _ path: FilePath,
        _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil,
        relativeTo directory: FileDescriptor? = nil
    ) async throws -> File {
        if options.contains(.create) && permissions == nil {
            throw URingError.invalidArgument("opening with .create needs permissions for the new file")
        }
        let operation = OpenAtOperation(
            path: try PathBuffer(path), directory: directory,
            flags: mode.rawValue | options.rawValue | O_CLOEXEC, mode: permissions?.rawValue ?? 0)
        return File(taking: try await perform(operation))
    }

    /// Opens `path` (as `open` does), runs `body` with the file, and closes it on every
    /// path: when `body` returns, when it throws, and when the task is cancelled (then
    /// close(2) runs directly). `body` may close the file itself. Do not let the file
    /// escape `body`: it is closed when `withOpen` returns.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `open` throws; what `body` throws; a failed close only when `body`
    ///   succeeded.
    public static func withOpen<Result>(
        _ path: FilePath,
        _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil,
        relativeTo directory: FileDescriptor? = nil,
        _ body: (File) async throws -> Result
    ) async throws -> Result {
        let file = try await open(path, mode, options: options, permissions: permissions, relativeTo: directory)
        return try await FileSystem.closing(file, body)
    }
}
