// Opening files through the ring (IORING_OP_OPENAT).

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
}
