// PathError: a failure that names the path it is about.
//
// The rule, for the whole API:
// - A call that takes a path (File.open and withOpen, every FileSystem call, the
//   directory listing and walk) throws the kernel's errors as a PathError: the path, the
//   system call that failed ("openat", "statx", "renameat2", ...) and its errno. A system
//   call on two paths (renameat2, linkat, symlinkat, copy_file_range) names both: `path`
//   and `otherPath`, since the kernel does not say which one its errno is about.
// - A call that takes a socket address throws SocketError instead (SocketError.swift).
// - A call on something already open (a File's or a socket's read, write, send,
//   receive, accept, sync, status, close) throws the bare `Errno`: the caller holds
//   what failed.
// - Errors that are not the kernel's (URingError: bad arguments, closed, deadline,
//   shutdown; CancellationError) stay what they are everywhere.
// The errno stays matchable: `catch let error as PathError where error.errno ==
// .noSuchFileOrDirectory`. swift-system's `catch Errno.noSuchFileOrDirectory` (its `~=`)
// matches only a bare Errno, so it no longer matches these calls' errors.
//
// Some PathErrors name a reason instead of a system call: where the bare errno would
// mislead (EXDEV from a RESOLVE_BENEATH open is not a cross-device link) or where no
// errno exists (a file over readAll's bound); they keep the closest errno too.

/// A call that takes a path failed on `path`: a system call on it failed (reason
/// `.systemCallFailed`, with the call's name), or swift-uring refused it for a reason it
/// names. `errno` is the kernel's error behind it (or the closest one, for a refusal the
/// kernel did not make), for matching:
///
/// ```swift
/// do {
///     let file = try await File.open("/etc/missing", .readOnly)
/// } catch let error as PathError where error.errno == .noSuchFileOrDirectory {
///     print(error)  // openat /etc/missing: No such file or directory (ENOENT)
/// }
/// ```
///
/// Every call that takes a path throws its kernel errors this way; calls on an open
/// ``File`` throw the bare `Errno`, and calls that take a socket address throw
/// ``SocketError``. swift-system's `catch Errno.noSuchFileOrDirectory` matches only a
/// bare `Errno`, not a PathError: match `errno` as above.
public struct PathError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the path was refused.
    public enum Reason: Sendable, Hashable {
        /// The file holds more than `maximumSize` bytes (`FileSystem.readAll`); errno EFBIG.
        case fileTooLarge(maximumSize: Int)
        /// Resolving the path would leave the directory it must stay beneath (an absolute
        /// path, `..`, or a symbolic link pointing out); errno EXDEV, from RESOLVE_BENEATH.
        case escapesDirectory
        /// The path goes through a symbolic link, which the call was told not to follow;
        /// errno ELOOP, from RESOLVE_NO_SYMLINKS.
        case symbolicLinkRefused
        /// The path names something that is not a symbolic link (`FileSystem.readLink`);
        /// errno EINVAL.
        case notSymbolicLink
        /// The path names a kind of file the call does not handle (`FileSystem.copyTree`
        /// copies regular files, directories and symbolic links); errno ENOTSUP, or EISDIR
        /// for a directory given to `FileSystem.copy`.
        case unsupportedFileType(FileStatus.FileType)
        /// The named system call (its C name, such as "openat") failed on this path with
        /// `errno`. Calls that touch many paths (`FileSystem.copyTree`, `FileSystem.walk`)
        /// name the one that failed.
        case systemCallFailed(String)
    }

    /// The path that failed: the one the call was given, or, for calls that touch many
    /// (`FileSystem.copy`, `copyTree`, `walk`), the one the failing system call was on.
    /// For a system call on two paths, its first one as the call takes them (`rename`'s
    /// source, the new link of `createHardLink` and `createSymbolicLink`, `copy`'s source
    /// for copy_file_range).
    public var path: FilePath
    /// The second path of a system call on two paths (`rename`'s destination, the existing
    /// file of `createHardLink`, the target of `createSymbolicLink`, `copy`'s destination
    /// for copy_file_range), whose errno the kernel does not attribute to either one: ENOENT
    /// from a rename may mean the source is missing or the destination's directory is. nil
    /// for a system call on one path.
    public var otherPath: FilePath?
    /// Why it was refused.
    public var reason: Reason
    /// The kernel's errno for it (see each reason), for matching by errno.
    public var errno: Errno

    /// The system call that failed (its C name, such as "openat"), for reason
    /// `.systemCallFailed`; nil for the other reasons.
    public var systemCall: String? {
        if case .systemCallFailed(let call) = reason { return call }
        return nil
    }

    /// A refusal of `path` for `reason`, with the errno that reason carries
    /// (`.systemCallFailed` carries EIO here: give it its errno with `init(path:systemCall:errno:)`).
    public init(path: FilePath, reason: Reason) {
        self.path = path
        self.reason = reason
        switch reason {
        case .fileTooLarge: errno = .fileTooLarge
        case .escapesDirectory: errno = .improperLink
        case .symbolicLinkRefused: errno = .tooManySymbolicLinkLevels
        case .notSymbolicLink: errno = .invalidArgument
        case .unsupportedFileType: errno = .notSupported
        case .systemCallFailed: errno = .ioError
        }
    }

    /// `systemCall` (its C name, such as "openat") failed on `path` (and `otherPath`, for a
    /// system call on two paths) with `errno`.
    public init(path: FilePath, otherPath: FilePath? = nil, systemCall: String, errno: Errno) {
        self.path = path
        self.otherPath = otherPath
        self.reason = .systemCallFailed(systemCall)
        self.errno = errno
    }

    /// The path and what was wrong with it, as "openat /etc/missing: No such file or
    /// directory (ENOENT)", "renameat2 /a to /b: No such file or directory (ENOENT)" or
    /// "/etc/big: the file holds more than the 1024 bytes allowed".
    public var description: String {
        switch reason {
        case .fileTooLarge(let maximumSize):
            return "\(path): the file holds more than the \(maximumSize) bytes allowed"
        case .escapesDirectory:
            return "\(path): resolving it leaves the directory it must stay beneath"
        case .symbolicLinkRefused:
            return "\(path): it goes through a symbolic link, and following symbolic links was not allowed"
        case .notSymbolicLink:
            return "\(path): not a symbolic link"
        case .unsupportedFileType(let type):
            return "\(path): a \(type), which this call does not copy"
        case .systemCallFailed(let call):
            let paths = otherPath.map { "\(path) to \($0)" } ?? "\(path)"
            return "\(call) \(paths): \(errno.explained)"
        }
    }
}

extension PathError {
    /// Runs `body`, throwing a kernel error (`Errno`) it throws as a PathError that names
    /// `path` (and `otherPath`) and `systemCall`; other errors pass unchanged.
    static func naming<Result>(
        _ path: FilePath, otherPath: FilePath? = nil, _ systemCall: String, _ body: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await body()
        } catch let error as Errno {
            throw PathError(path: path, otherPath: otherPath, systemCall: systemCall, errno: error)
        }
    }
}
