// FileStatus: what statx(2) reports about a file, as Swift values.
//
// Built from the kernel's `struct statx` that StatxOperation returns after its CQE; a plain value
// with no pointers, so it is Sendable and outlives the operation freely. Times are
// Durations since the Unix epoch (1970-01-01 UTC), at the file system's precision.

import CLiburing
import Glibc

/// The metadata of a file, from statx(2).
public struct FileStatus: Sendable, Hashable {
    /// What kind of file it is (the S_IFMT bits of the mode).
    public enum FileType: Sendable, Hashable {
        /// A regular file (S_IFREG).
        case regular
        /// A directory (S_IFDIR).
        case directory
        /// A symbolic link (S_IFLNK); seen only when links are not followed.
        case symbolicLink
        /// A named pipe (S_IFIFO).
        case fifo
        /// A Unix-domain socket file (S_IFSOCK).
        case socket
        /// A character device (S_IFCHR), such as /dev/null.
        case characterDevice
        /// A block device (S_IFBLK), such as a disk.
        case blockDevice
        /// A type this enum does not name, or none reported.
        case unknown

        init(mode: UInt32) {
            switch mode & UInt32(Glibc.S_IFMT) {
            case UInt32(Glibc.S_IFREG): self = .regular
            case UInt32(Glibc.S_IFDIR): self = .directory
            case UInt32(Glibc.S_IFLNK): self = .symbolicLink
            case UInt32(Glibc.S_IFIFO): self = .fifo
            case UInt32(Glibc.S_IFSOCK): self = .socket
            case UInt32(Glibc.S_IFCHR): self = .characterDevice
            case UInt32(Glibc.S_IFBLK): self = .blockDevice
            default: self = .unknown
            }
        }
    }

    /// Size in bytes (0 for many /proc and /sys files, whose contents are made on read).
    public var size: Int64
    /// What kind of file it is.
    public var type: FileType
    /// The permission bits, including set-user-ID, set-group-ID and sticky.
    public var permissions: FilePermissions
    /// Number of hard links.
    public var linkCount: Int
    /// The owner's user ID.
    public var userID: UInt32
    /// The owning group's ID.
    public var groupID: UInt32
    /// The inode number, unique within `device`.
    public var inode: UInt64
    /// The device holding the file, encoded as stat(2)'s `st_dev`.
    public var device: UInt64
    /// The device a character or block special file stands for, as stat(2)'s `st_rdev`.
    public var representedDevice: UInt64
    /// The preferred block size for I/O.
    public var blockSize: Int
    /// Number of 512-byte blocks allocated.
    public var blocks: Int64
    /// Last access, since the Unix epoch.
    public var accessTime: Duration
    /// Last change of the contents, since the Unix epoch.
    public var modificationTime: Duration
    /// Last change of the metadata, since the Unix epoch.
    public var changeTime: Duration
    /// Creation, since the Unix epoch; nil where the file system does not record it.
    public var birthTime: Duration?

    init(_ raw: statx) {
        size = Int64(bitPattern: raw.stx_size)
        type = FileType(mode: UInt32(raw.stx_mode))
        permissions = FilePermissions(rawValue: mode_t(raw.stx_mode) & 0o7777)
        linkCount = Int(raw.stx_nlink)
        userID = raw.stx_uid
        groupID = raw.stx_gid
        inode = raw.stx_ino
        device = Self.deviceNumber(major: raw.stx_dev_major, minor: raw.stx_dev_minor)
        representedDevice = Self.deviceNumber(major: raw.stx_rdev_major, minor: raw.stx_rdev_minor)
        blockSize = Int(raw.stx_blksize)
        blocks = Int64(bitPattern: raw.stx_blocks)
        accessTime = Self.duration(raw.stx_atime)
        modificationTime = Self.duration(raw.stx_mtime)
        changeTime = Self.duration(raw.stx_ctime)
        birthTime = raw.stx_mask & UInt32(STATX_BTIME) != 0 ? Self.duration(raw.stx_btime) : nil
    }

    /// glibc's makedev(3) encoding, so `device` equals stat(2)'s `st_dev`.
    static func deviceNumber(major: UInt32, minor: UInt32) -> UInt64 {
        let major = UInt64(major)
        let minor = UInt64(minor)
        return (major & 0x0000_0fff) << 8 | (major & 0xffff_f000) << 32 | (minor & 0x0000_00ff)
            | (minor & 0xffff_ff00) << 12
    }

    static func duration(_ time: statx_timestamp) -> Duration {
        .seconds(time.tv_sec) + .nanoseconds(Int64(time.tv_nsec))
    }
}
