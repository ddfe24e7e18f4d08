import Foundation
import Glibc
import Testing
import URing

@Suite("statx status matches stat(2)", .requiresIOURing)
struct FileStatusMatchesStat {
    @Test("an open regular file's status matches fstat")
    func regularFile() async throws {
        let scratch = try TemporaryFile(contents: [UInt8](repeating: 5, count: 12_345))
        try Self.changeMode(of: scratch.path, to: 0o640)
        let expected = try Self.stat(scratch.path, followSymlinks: true)
        let (byDescriptor, byPath) = try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            let status = try await file.status()
            try await file.close()
            return (status, try await FileSystem.status(of: scratch.path))
        }
        for status in [byDescriptor, byPath] {
            #expect(status.type == .regular)
            #expect(status.size == 12_345)
            #expect(status.permissions == FilePermissions(rawValue: 0o640))
            Self.expectMatches(status, expected)
        }
    }

    @Test("a directory's status says directory and matches stat")
    func directory() async throws {
        let directory = try TemporaryDirectory()
        let expected = try Self.stat(directory.path, followSymlinks: true)
        let status = try await withRuntime { _ in try await FileSystem.status(of: directory.path) }
        #expect(status.type == .directory)
        Self.expectMatches(status, expected)
    }

    @Test("a symlink's own status matches lstat, and following it matches its target")
    func symbolicLink() async throws {
        let directory = try TemporaryDirectory()
        let target = directory.appending("target")
        let link = directory.appending("link")
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: target.string))
        #expect(symlink(target.string, link.string) == 0)
        let linkExpected = try Self.stat(link, followSymlinks: false)
        let targetExpected = try Self.stat(target, followSymlinks: true)
        let (own, followed) = try await withRuntime { _ in
            (
                try await FileSystem.status(of: link, followSymlinks: false),
                try await FileSystem.status(of: link)
            )
        }
        #expect(own.type == .symbolicLink)
        #expect(own.size == Int64(target.string.utf8.count))
        Self.expectMatches(own, linkExpected)
        #expect(followed.type == .regular)
        #expect(followed.size == 4)
        Self.expectMatches(followed, targetExpected)
    }

    @Test("the status of a missing path is ENOENT")
    func missingPath() async throws {
        let directory = try TemporaryDirectory()
        _ = try await withRuntime { _ in
            await #expect(throws: PathError(path: directory.appending("missing"), systemCall: "statx", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.status(of: directory.appending("missing"))
            }
        }
    }

    static func stat(_ path: FilePath, followSymlinks: Bool) throws -> Glibc.stat {
        var result = Glibc.stat()
        let code = fstatat(AT_FDCWD, path.string, &result, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW)
        guard code == 0 else { throw Errno(rawValue: errno) }
        return result
    }

    static func changeMode(of path: FilePath, to mode: mode_t) throws {
        guard chmod(path.string, mode) == 0 else { throw Errno(rawValue: errno) }
    }

    static func expectMatches(_ status: FileStatus, _ expected: Glibc.stat) {
        #expect(status.size == Int64(expected.st_size))
        #expect(status.permissions.rawValue == expected.st_mode & 0o7777)
        #expect(UInt32(expected.st_mode & S_IFMT) == Self.formatBits(status.type))
        #expect(status.linkCount == Int(expected.st_nlink))
        #expect(status.userID == expected.st_uid)
        #expect(status.groupID == expected.st_gid)
        #expect(status.inode == UInt64(expected.st_ino))
        #expect(status.device == UInt64(expected.st_dev))
        #expect(status.blockSize == Int(expected.st_blksize))
        #expect(status.blocks == Int64(expected.st_blocks))
        #expect(status.modificationTime == Self.duration(expected.st_mtim))
        #expect(status.changeTime == Self.duration(expected.st_ctim))
        #expect(status.accessTime == Self.duration(expected.st_atim))
    }

    static func formatBits(_ type: FileStatus.FileType) -> UInt32 {
        switch type {
        case .regular: UInt32(S_IFREG)
        case .directory: UInt32(S_IFDIR)
        case .symbolicLink: UInt32(S_IFLNK)
        case .fifo: UInt32(S_IFIFO)
        case .socket: UInt32(S_IFSOCK)
        case .characterDevice: UInt32(S_IFCHR)
        case .blockDevice: UInt32(S_IFBLK)
        case .unknown: 0
        }
    }

    static func duration(_ time: timespec) -> Duration {
        .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
