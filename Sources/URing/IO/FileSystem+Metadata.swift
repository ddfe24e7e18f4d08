// Changing a file's metadata by path: permission bits (fchmodat), access and modification
// times (utimensat), owner and group (fchownat).
//
// io_uring has no opcode for any of these on current kernels: each runs as one system
// call on the blocking pool (`URingRuntime.runBlocking`'s), so a path lookup that has to
// read the disk never stalls a worker. A task cancelled while its call waits for a pool
// thread throws CancellationError and the call never runs. Arguments are checked before
// anything runs; errors the kernel returns arrive as a PathError naming the path and the
// system call, as for the other path calls. `status(of:followSymlinks:)` (FileSystem.swift) reads what these set.

import Glibc

extension FileSystem {
    /// Sets the permission bits of the file at `path` (chmod(2)), exactly: the umask
    /// does not apply. A symbolic link at `path` is followed (Linux cannot change a
    /// link's own mode, which is always 0777).
    ///
    /// Runs on the blocking pool: io_uring has no chmod opcode.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path or bits outside 0o7777
    ///   (the message names the path); `CancellationError` when the task is cancelled
    ///   before the call ran; ``PathError`` naming `path` and "fchmodat" for the kernel's
    ///   errors (ENOENT, EPERM when not the owner, ...).
    public static func setPermissions(_ permissions: FilePermissions, at path: FilePath) async throws {
        guard permissions.rawValue & ~0o7777 == 0 else {
            throw URingError.invalidArgument(
                "permissions for \(path) must lie within 0o7777, got 0o\(String(permissions.rawValue, radix: 8))")
        }
        let buffer = try PathBuffer(path)
        try await PathError.naming(path, "fchmodat") {
            try await performBlocking {
                guard fchmodat(AT_FDCWD, buffer.pointer, permissions.rawValue, 0) == 0 else {
                    throw Errno(rawValue: errno)
                }
            }
        }
    }

    /// Sets the last access and last modification times of the file at `path`
    /// (utimensat(2)), as durations since the Unix epoch (as `FileStatus` reports them);
    /// nil leaves that time as it is. With `followSymlinks` false, a symbolic link at
    /// `path` gets the times itself.
    ///
    /// Runs on the blocking pool: io_uring has no utimensat opcode.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path; `CancellationError` when
    ///   the task is cancelled before the call ran; ``PathError`` naming `path` and
    ///   "utimensat" for the kernel's errors (ENOENT, EPERM, EINVAL for a time the file
    ///   system cannot store, ...).
    public static func setTimes(
        at path: FilePath, access: Duration?, modification: Duration?, followSymlinks: Bool = true
    ) async throws {
        let buffer = try PathBuffer(path)
        let times = [timeSpec(access), timeSpec(modification)]
        let flags = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        try await PathError.naming(path, "utimensat") {
            try await performBlocking {
                guard utimensat(AT_FDCWD, buffer.pointer, times, flags) == 0 else { throw Errno(rawValue: errno) }
            }
        }
    }

    /// Sets the owner and group of the file at `path` (fchownat(2)); nil leaves that one
    /// as it is. With `followSymlinks` false, a symbolic link at `path` changes itself.
    /// The kernel clears set-user-ID and set-group-ID bits of an executable whose owner
    /// changes.
    ///
    /// Runs on the blocking pool: io_uring has no chown opcode.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path, or a user or group of
    ///   UInt32.max (which chown reads as "unchanged"; pass nil for that); the message
    ///   names the path; `CancellationError` when the task is cancelled before the call
    ///   ran; ``PathError`` naming `path` and "fchownat" for the kernel's errors (EPERM
    ///   without the privilege, ENOENT, ...).
    public static func setOwner(
        at path: FilePath, user: UInt32?, group: UInt32?, followSymlinks: Bool = true
    ) async throws {
        if user == UInt32.max || group == UInt32.max {
            throw URingError.invalidArgument("an owner or group of \(UInt32.max) for \(path) means unchanged: pass nil")
        }
        let buffer = try PathBuffer(path)
        let flags = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        try await PathError.naming(path, "fchownat") {
            try await performBlocking {
                guard fchownat(AT_FDCWD, buffer.pointer, user ?? UInt32.max, group ?? UInt32.max, flags) == 0 else {
                    throw Errno(rawValue: errno)
                }
            }
        }
    }

    /// <sys/stat.h>'s UTIME_OMIT ((1l << 30) - 2), a macro Swift does not import: in
    /// tv_nsec, "leave this time as it is".
    static let omitTime = (1 << 30) - 2

    /// A time since the epoch as utimensat's timespec; nil is UTIME_OMIT (leave it).
    static func timeSpec(_ time: Duration?) -> timespec {
        guard let time else { return timespec(tv_sec: 0, tv_nsec: omitTime) }
        var (seconds, attoseconds) = time.components
        // Components share the duration's sign; timespec wants 0 <= tv_nsec < 1e9.
        if attoseconds < 0 {
            seconds -= 1
            attoseconds += 1_000_000_000_000_000_000
        }
        return timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    }
}
