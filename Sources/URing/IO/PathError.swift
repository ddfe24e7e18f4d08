// PathError: a refusal that swift-uring names, about one path.
//
// Kernel errors that need no explanation (ENOENT, EACCES, ...) still arrive as swift-system's
// `Errno`, as everywhere in the API. A PathError is thrown where the bare errno would
// mislead (EXDEV from a RESOLVE_BENEATH open is not a cross-device link) or where no
// errno exists (a file over readAll's bound): it names the path and the reason, and keeps
// the errno behind it in `errno`, so `catch let error as PathError where error.errno ==
// .crossDeviceLink` still matches by errno.

/// A call refused `path` for a reason swift-uring names; `errno` is the kernel's error
/// behind it (or the closest one, for a refusal the kernel did not make).
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
        /// copies regular files, directories and symbolic links); errno ENOTSUP.
        case unsupportedFileType(FileStatus.FileType)
        /// The named system call failed on this path with `errno`: how calls that touch
        /// many paths (`FileSystem.copyTree`) say which one failed.
        case systemCallFailed(String)
    }

    /// The path the call was given.
    public var path: FilePath
    /// Why it was refused.
    public var reason: Reason
    /// The kernel's errno for it (see each reason), for matching by errno.
    public var errno: Errno

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

    /// `systemCall` (its C name, such as "openat") failed on `path` with `errno`.
    public init(path: FilePath, systemCall: String, errno: Errno) {
        self.path = path
        self.reason = .systemCallFailed(systemCall)
        self.errno = errno
    }

    /// The path and what was wrong with it, as "/etc/big: the file holds more than the 1024
    /// bytes allowed".
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
            return "\(path): \(call) failed: \(errno)"
        }
    }
}
