// Opening files through the ring (IORING_OP_OPENAT; IORING_OP_OPENAT2 for opens that must
// stay beneath a directory), and scoped opens (`withOpen`) that close the file on every
// path: return, throw, cancellation.

import Glibc
import SystemPackage  // swift-system's `~=` for `catch Errno.x` (URing re-exports only the types)

extension File {
    /// Opens `path` through the ring. Every descriptor is opened with O_CLOEXEC.
    ///
    /// - Parameters:
    ///   - path: the file; a relative path is resolved from `directory`, or from the
    ///     current working directory when `directory` is nil.
    ///   - mode: read, write, or both.
    ///   - options: O_CREAT, O_TRUNC, O_APPEND, O_DIRECT, ... as swift-system's OpenOptions.
    ///   - permissions: the mode of a file that `.create` makes; required with `.create`.
    ///   - directory: an open directory that a relative `path` starts from (openat(2)'s
    ///     `dirfd`); the caller keeps owning it.
    /// - Returns: the open file, which the caller owns: close it with `close()` (a File
    ///   released unclosed closes its descriptor when it is freed).
    /// - Throws: `URingError.invalidArgument` for an empty path or `.create` without
    ///   permissions; ``PathError`` naming `path` and "openat" for the kernel's errors
    ///   (ENOENT, EACCES, EISDIR, EINVAL for `.direct` on a file system without O_DIRECT,
    ///   ...: match its `errno`).
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
        return File(taking: try await PathError.naming(path, "openat") { try await perform(operation) })
    }

    /// Opens `path` (as `open` does), runs `body` with the file, and closes it on every
    /// path: when `body` returns, when it throws, and when the task is cancelled (then
    /// close(2) runs directly). `body` may close the file itself. Do not let the file
    /// escape `body`: it is closed when `withOpen` returns.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `open` throws; what `body` throws; a failed close only when `body`
    ///   succeeded, as a ``PathError`` naming `path` and "close".
    public static func withOpen<Result>(
        _ path: FilePath,
        _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil,
        relativeTo directory: FileDescriptor? = nil,
        _ body: (File) async throws -> Result
    ) async throws -> Result {
        let file = try await open(path, mode, options: options, permissions: permissions, relativeTo: directory)
        return try await FileSystem.closing(file, path: path, body)
    }

    /// Opens `path` beneath `directory`: resolution may not leave it (RESOLVE_BENEATH
    /// through IORING_OP_OPENAT2, Linux 5.6). An absolute path, a `..` above `directory`,
    /// or a symbolic link pointing out of it is refused, not followed; symbolic links
    /// that stay beneath `directory` are followed unless `followSymlinks` is false
    /// (RESOLVE_NO_SYMLINKS: then any symbolic link on the path is refused). Every
    /// descriptor is opened with O_CLOEXEC.
    ///
    /// - Parameters:
    ///   - path: a relative path to resolve from `directory`.
    ///   - mode: read, write, or both.
    ///   - options: O_CREAT, O_TRUNC, O_APPEND, O_DIRECT, ... as swift-system's OpenOptions.
    ///   - permissions: the mode of a file that `.create` makes; required with `.create`.
    ///   - directory: an open directory; `path` is resolved from it, as with `relativeTo`.
    ///     The caller keeps owning it.
    ///   - followSymlinks: whether symbolic links that stay beneath `directory` are followed.
    /// - Returns: the open file, owned by the caller as with `open(_:_:options:permissions:relativeTo:)`.
    /// - Throws: `URingError.invalidArgument` for an empty path or `.create` without
    ///   permissions; `PathError` with reason `.escapesDirectory` (errno EXDEV) when
    ///   resolving `path` would leave `directory`, or `.symbolicLinkRefused` (errno ELOOP)
    ///   for a symbolic link when `followSymlinks` is false; otherwise `PathError` naming
    ///   `path` and "openat2" for the kernel's errors (ENOENT, EACCES, ENOTDIR when
    ///   `directory` is not a directory, ...).
    public static func open(
        _ path: FilePath,
        _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil,
        beneath directory: FileDescriptor,
        followSymlinks: Bool = true
    ) async throws -> File {
        if options.contains(.create) && permissions == nil {
            throw URingError.invalidArgument("opening \(path) with .create needs permissions for the new file")
        }
        var resolve = OpenAt2Operation.resolveBeneath
        if !followSymlinks { resolve |= OpenAt2Operation.resolveNoSymbolicLinks }
        let request = OpenAt2Operation.Request(
            path: try PathBuffer(path), flags: mode.rawValue | options.rawValue | O_CLOEXEC,
            mode: permissions?.rawValue ?? 0, resolve: resolve)
        do {
            return File(taking: try await perform(OpenAt2Operation(request: request, directory: directory)))
        } catch Errno.improperLink {
            throw PathError(path: path, reason: .escapesDirectory)
        } catch Errno.tooManySymbolicLinkLevels where !followSymlinks {
            throw PathError(path: path, reason: .symbolicLinkRefused)
        } catch let error as Errno {
            throw PathError(path: path, systemCall: "openat2", errno: error)
        }
    }

    /// Opens `path` beneath `directory` (as `open(_:_:options:permissions:beneath:followSymlinks:)`
    /// does), runs `body` with the file, and closes it on every path, as `withOpen` does.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what that `open` throws; what `body` throws; a failed close only when
    ///   `body` succeeded, as a ``PathError`` naming `path` and "close".
    public static func withOpen<Result>(
        _ path: FilePath,
        _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil,
        beneath directory: FileDescriptor,
        followSymlinks: Bool = true,
        _ body: (File) async throws -> Result
    ) async throws -> Result {
        let file = try await open(
            path, mode, options: options, permissions: permissions, beneath: directory, followSymlinks: followSymlinks)
        return try await FileSystem.closing(file, path: path, body)
    }
}
