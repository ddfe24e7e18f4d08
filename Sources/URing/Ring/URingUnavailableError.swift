// The typed error for "this process cannot use io_uring", with the cause and the fix.
//
// Ring setup fails this way under Docker's default seccomp profile (EPERM), on kernels
// without io_uring (ENOSYS), with `kernel.io_uring_disabled` set (EPERM/EACCES), or when
// locked memory runs out (ENOMEM). The message names the cause and what to do, since
// the person reading it is usually deploying, not programming.


/// io_uring could not be set up in this process.
public struct URingUnavailableError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why setup failed, as far as the errno and the system tell.
    public enum Reason: Sendable, Equatable {
        /// ENOSYS: the kernel has no io_uring, or a seccomp filter hides the syscall.
        case notSupported
        /// EPERM: a seccomp profile (Docker's default) or `kernel.io_uring_disabled` forbids it.
        case blockedByPolicy
        /// EACCES: `kernel.io_uring_disabled` = 1 and this user is not in `io_uring_group`.
        case accessDenied
        /// ENOMEM: the locked-memory limit (RLIMIT_MEMLOCK) is too small for the rings.
        case lockedMemoryLimit
        /// EINVAL: the kernel rejected the requested setup flags or sizes (too old for them).
        case unsupportedOptions
        /// EMFILE/ENFILE: no file descriptor is left for the ring.
        case tooManyOpenFiles
        /// Anything else setup reported.
        case other
    }

    public let reason: Reason
    public let errno: Errno
    /// `kernel.io_uring_disabled` as read at the time of failure (0, 1, 2), if readable.
    public let ioUringDisabledSysctl: Int?

    public init(errno: Errno, ioUringDisabledSysctl: Int? = URingUnavailableError.readIOUringDisabledSysctl()) {
        self.errno = errno
        self.ioUringDisabledSysctl = ioUringDisabledSysctl
        switch errno {
        case .noFunction: reason = .notSupported
        case .notPermitted: reason = .blockedByPolicy
        case .permissionDenied: reason = .accessDenied
        case .noMemory: reason = .lockedMemoryLimit
        case .invalidArgument: reason = .unsupportedOptions
        case .tooManyOpenFiles, .tooManyOpenFilesInSystem: reason = .tooManyOpenFiles
        default: reason = .other
        }
    }

    public var description: String {
        let cause: String
        switch reason {
        case .notSupported:
            cause = "the kernel does not provide io_uring (ENOSYS): it is older than 5.1, built without "
                + "CONFIG_IO_URING, or a seccomp filter hides the syscall. Use a Linux 5.19+ kernel with io_uring "
                + "enabled, or allow io_uring_setup/io_uring_enter/io_uring_register in the seccomp profile."
        case .blockedByPolicy:
            if ioUringDisabledSysctl == 2 {
                cause = "io_uring is disabled system-wide (EPERM, kernel.io_uring_disabled = 2). "
                    + "Set `sysctl kernel.io_uring_disabled=0` to allow it."
            } else {
                cause = "io_uring_setup was refused (EPERM), most likely by a seccomp profile: Docker's and "
                    + "containerd's default profiles block io_uring. Run with a profile that allows "
                    + "io_uring_setup, io_uring_enter and io_uring_register (for example "
                    + "`--security-opt seccomp=<profile.json>`), or outside the container."
            }
        case .accessDenied:
            cause = "io_uring is restricted to one group (EACCES, kernel.io_uring_disabled = 1). Add this user to "
                + "the group named by kernel.io_uring_group, or set `sysctl kernel.io_uring_disabled=0`."
        case .lockedMemoryLimit:
            cause = "the ring could not be allocated (ENOMEM): on kernels before 5.12 rings count against "
                + "RLIMIT_MEMLOCK. Raise it (`ulimit -l`, or LimitMEMLOCK= in a systemd unit) or use fewer/smaller rings."
        case .unsupportedOptions:
            cause = "the kernel rejected the ring's setup flags or sizes (EINVAL). SINGLE_ISSUER and DEFER_TASKRUN "
                + "need Linux 6.0/6.1, COOP_TASKRUN 5.19; sizes must be 1...32768 entries. Drop the newer flags or "
                + "upgrade the kernel."
        case .tooManyOpenFiles:
            cause = "no file descriptor is left for the ring (\(errno)). Raise RLIMIT_NOFILE or close files."
        case .other:
            cause = "io_uring_setup failed with \(errno)."
        }
        return "io_uring is unavailable: " + cause
    }

    /// Reads `/proc/sys/kernel/io_uring_disabled` (absent before Linux 6.6).
    public static func readIOUringDisabledSysctl() -> Int? {
        guard let text = try? readSmallFile("/proc/sys/kernel/io_uring_disabled") else { return nil }
        return Int(text.filter { !$0.isWhitespace })
    }
}

/// Reads a small text file with plain syscalls (setup failures happen before any ring exists).
private func readSmallFile(_ path: FilePath) throws -> String {
    let fd = try FileDescriptor.open(path, .readOnly)
    defer { try? fd.close() }
    var bytes = [UInt8](repeating: 0, count: 64)
    let count = try bytes.withUnsafeMutableBytes { try fd.read(into: $0) }
    return String(decoding: bytes[..<count], as: UTF8.self)
}
