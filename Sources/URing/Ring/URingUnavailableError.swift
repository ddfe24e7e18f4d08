// The typed error for "this process cannot use io_uring", with the cause and the fix.
//
// Ring setup fails this way under Docker's default seccomp profile (EPERM), on kernels
// without io_uring (ENOSYS), with `kernel.io_uring_disabled` set (EPERM/EACCES), or when
// locked memory runs out (ENOMEM). The message names the cause and what to do, since
// the person reading it is usually deploying, not programming. For EPERM it reads the
// sysctls (kernel.io_uring_disabled, kernel.io_uring_group) and the process's groups and
// capabilities, so that a sysctl restriction is named as such and not blamed on seccomp;
// the choice is a pure function of those values (`cause(reason:errno:access:)`).

import Glibc

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

    /// The cause, classified from `errno`.
    public let reason: Reason
    /// The error io_uring setup returned.
    public let errno: Errno
    /// `kernel.io_uring_disabled` as read at the time of failure (0, 1, 2), if readable.
    public var ioUringDisabledSysctl: Int? { access.disabled }
    /// What the system said about who may use io_uring, read at the time of failure.
    let access: IOURingAccess

    /// The error for a setup that failed with `errno`, classified into a `Reason`; the
    /// current process's groups and capabilities, and the sysctl value given (read now by
    /// default), choose the explanation in `description`.
    public init(errno: Errno, ioUringDisabledSysctl: Int? = URingUnavailableError.readIOUringDisabledSysctl()) {
        var access = IOURingAccess.current()
        access.disabled = ioUringDisabledSysctl
        self.init(errno: errno, access: access)
    }

    /// `access` is what the sysctls and the process's credentials say (tests pass their own).
    init(errno: Errno, access: IOURingAccess) {
        self.errno = errno
        self.access = access
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

    /// "io_uring is unavailable: " with the cause and what to change (seccomp profile,
    /// sysctl and group, kernel, locked-memory limit, descriptor limit), written for the person
    /// deploying the program.
    public var description: String {
        "io_uring is unavailable: " + Self.cause(reason: reason, errno: errno, access: access)
    }

    /// The cause and the fix, for `reason` and what the system says about access.
    static func cause(reason: Reason, errno: Errno, access: IOURingAccess) -> String {
        switch reason {
        case .notSupported:
            return "the kernel does not provide io_uring (ENOSYS): it is older than 5.1, built without "
                + "CONFIG_IO_URING, or a seccomp filter hides the syscall. Use a Linux 5.10+ kernel with io_uring "
                + "enabled, or allow io_uring_setup/io_uring_enter/io_uring_register in the seccomp profile."
        case .blockedByPolicy, .accessDenied:
            if let restriction = access.sysctlRestriction(errno: errno) { return restriction }
            if reason == .accessDenied {
                return "io_uring_setup was refused (EACCES): io_uring is restricted by kernel.io_uring_disabled and "
                    + "kernel.io_uring_group, or by a security module. Add this user to the group named by "
                    + "kernel.io_uring_group, or set `sysctl kernel.io_uring_disabled=0`."
            }
            return "io_uring_setup was refused (EPERM), most likely by a seccomp profile: Docker's and "
                + "containerd's default profiles block io_uring. Run with a profile that allows "
                + "io_uring_setup, io_uring_enter and io_uring_register (for example "
                + "`--security-opt seccomp=<profile.json>`), or outside the container."
        case .lockedMemoryLimit:
            return "the ring could not be allocated (ENOMEM): on kernels before 5.12 rings count against "
                + "RLIMIT_MEMLOCK. Raise it (`ulimit -l`, or LimitMEMLOCK= in a systemd unit) or use fewer/smaller rings."
        case .unsupportedOptions:
            return "the kernel rejected the ring's setup flags or sizes (EINVAL), also without SINGLE_ISSUER, "
                + "DEFER_TASKRUN, COOP_TASKRUN and SUBMIT_ALL (Linux 6.0, 6.1, 5.19, 5.18), which setup drops "
                + "when refused. Sizes must be 1...32768 entries."
        case .tooManyOpenFiles:
            return "no file descriptor is left for the ring (\(errno)). Raise RLIMIT_NOFILE or close files."
        case .other:
            return "io_uring_setup failed with \(errno)."
        }
    }

    /// Reads `/proc/sys/kernel/io_uring_disabled` (absent before Linux 6.6).
    public static func readIOUringDisabledSysctl() -> Int? {
        guard let text = try? readSmallFile("/proc/sys/kernel/io_uring_disabled") else { return nil }
        return Int(text.filter { !$0.isWhitespace })
    }
}

/// Who may use io_uring here: the sysctls (Linux 6.6+) and this process's credentials.
struct IOURingAccess: Sendable, Equatable {
    /// kernel.io_uring_disabled: 0 everyone, 1 only CAP_SYS_ADMIN and the group, 2 nobody.
    var disabled: Int?
    /// kernel.io_uring_group: the group allowed when disabled is 1 (-1: none).
    var group: Int?
    /// The process's effective group and supplementary groups.
    var processGroups: [Int] = []
    /// Whether the process has CAP_SYS_ADMIN (which disabled = 1 lets through).
    var hasSystemAdministration = false

    /// The restriction the sysctls put on this process, if they explain `errno`; nil when
    /// they allow io_uring here (then something else refused it: seccomp, a security module).
    func sysctlRestriction(errno: Errno) -> String? {
        let code = errno == .permissionDenied ? "EACCES" : "EPERM"
        switch disabled {
        case 2:
            return "io_uring is disabled system-wide (\(code), kernel.io_uring_disabled = 2). "
                + "Set `sysctl kernel.io_uring_disabled=0` (or 1 with kernel.io_uring_group) to allow it."
        case 1:
            if hasSystemAdministration { return nil }
            guard let group, group >= 0 else {
                return "io_uring is restricted to processes with CAP_SYS_ADMIN (\(code), kernel.io_uring_disabled = 1 "
                    + "and kernel.io_uring_group = -1), and this process has not got it. Set kernel.io_uring_group "
                    + "to a group of this user, or `sysctl kernel.io_uring_disabled=0`."
            }
            if processGroups.contains(group) { return nil }
            let groups = processGroups.map(String.init).joined(separator: ", ")
            return "io_uring is restricted to group \(group) (\(code), kernel.io_uring_disabled = 1, "
                + "kernel.io_uring_group = \(group)), and this process is not in it (its groups: \(groups)). Add the "
                + "user to group \(group) (then log in again), or set `sysctl kernel.io_uring_disabled=0`."
        default:
            return nil
        }
    }

    /// What this system and process say now.
    static func current() -> IOURingAccess {
        var access = IOURingAccess()
        access.disabled = URingUnavailableError.readIOUringDisabledSysctl()
        if let text = try? readSmallFile("/proc/sys/kernel/io_uring_group") {
            access.group = Int(text.filter { !$0.isWhitespace })
        }
        var groups = [gid_t](repeating: 0, count: Int(max(getgroups(0, nil), 0)))
        let count = groups.isEmpty ? 0 : Int(max(getgroups(Int32(groups.count), &groups), 0))
        access.processGroups = [Int(getegid())] + groups.prefix(count).map { Int($0) }
        access.hasSystemAdministration = hasSystemAdministrationCapability()
        return access
    }

    /// CAP_SYS_ADMIN (bit 21) in the CapEff line of /proc/self/status.
    private static func hasSystemAdministrationCapability() -> Bool {
        guard let status = try? readSmallFile("/proc/self/status", limit: 4096),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).filter { !$0.isWhitespace }, radix: 16)
        else { return false }
        return mask & (1 << 21) != 0
    }
}

/// Reads a small text file with plain syscalls (setup failures happen before any ring exists).
func readSmallFile(_ path: FilePath, limit: Int = 64) throws -> String {
    let fd = try FileDescriptor.open(path, .readOnly)
    defer { try? fd.close() }
    var bytes = [UInt8](repeating: 0, count: limit)
    let count = try bytes.withUnsafeMutableBytes { try fd.read(into: $0) }
    return String(decoding: bytes[..<count], as: UTF8.self)
}
