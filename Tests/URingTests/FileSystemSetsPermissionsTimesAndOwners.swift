import Glibc
import Testing
import URing

@Suite("setPermissions, setTimes and setOwner change what status reports, on the link itself when asked", .requiresIOURing)
struct FileSystemSetsPermissionsTimesAndOwners {
    @Test("permission bits are set exactly (setuid and sticky included, whatever the umask), through a link to its target")
    func permissions() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let link = scratch.appending("link")
        let (direct, throughLink) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1], to: file)
            try await FileSystem.createSymbolicLink(at: link, to: "file")
            try await FileSystem.setPermissions(FilePermissions(rawValue: 0o4762), at: file)
            let direct = try await FileSystem.status(of: file).permissions
            try await FileSystem.setPermissions(FilePermissions(rawValue: 0o1604), at: link)
            return (direct, try await FileSystem.status(of: file).permissions)
        }
        #expect(direct == FilePermissions(rawValue: 0o4762))
        #expect(throughLink == FilePermissions(rawValue: 0o1604))
    }

    @Test("times are set to the nanosecond, nil keeps one, and a link's own times change without its target's")
    func times() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let link = scratch.appending("link")
        let access = Duration.seconds(1_000_000_000) + .nanoseconds(123_456_789)
        let modification = Duration.seconds(1_200_000_000) + .nanoseconds(987_654_321)
        let linkTime = Duration.seconds(900_000_000) + .nanoseconds(5)
        let (both, kept, linkStatus, targetStatus, beforeEpoch) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1], to: file)
            try await FileSystem.createSymbolicLink(at: link, to: "file")
            try await FileSystem.setTimes(at: file, access: access, modification: modification)
            let both = try await FileSystem.status(of: file)
            try await FileSystem.setTimes(at: file, access: nil, modification: .seconds(7))
            let kept = try await FileSystem.status(of: file)
            try await FileSystem.setTimes(at: link, access: linkTime, modification: linkTime, followSymlinks: false)
            let linkStatus = try await FileSystem.status(of: link, followSymlinks: false)
            let targetStatus = try await FileSystem.status(of: file)
            try await FileSystem.setTimes(at: file, access: nil, modification: .seconds(-1) / 2)
            return (both, kept, linkStatus, targetStatus, try await FileSystem.status(of: file).modificationTime)
        }
        #expect(both.accessTime == access)
        #expect(both.modificationTime == modification)
        #expect(kept.accessTime == access)
        #expect(kept.modificationTime == .seconds(7))
        #expect(linkStatus.type == .symbolicLink)
        #expect(linkStatus.modificationTime == linkTime)
        #expect(targetStatus.modificationTime == .seconds(7))
        #expect(beforeEpoch == .seconds(-1) / 2)
    }

    @Test("owner and group change (as root; EPERM otherwise), on the link itself when not following")
    func owner() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let link = scratch.appending("link")
        let isRoot = geteuid() == 0
        let (fileStatus, linkStatus) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1], to: file)
            try await FileSystem.createSymbolicLink(at: link, to: "file")
            guard isRoot else {
                await #expect(throws: PathError(path: file, systemCall: "fchownat", errno: .notPermitted)) {
                    try await FileSystem.setOwner(at: file, user: 4321, group: nil)
                }
                return (nil, nil) as (FileStatus?, FileStatus?)
            }
            try await FileSystem.setOwner(at: file, user: 4321, group: 8765)
            try await FileSystem.setOwner(at: link, user: 111, group: nil, followSymlinks: false)
            return (try await FileSystem.status(of: file), try await FileSystem.status(of: link, followSymlinks: false))
        }
        guard isRoot, let fileStatus, let linkStatus else { return }
        #expect(fileStatus.userID == 4321)
        #expect(fileStatus.groupID == 8765)
        #expect(linkStatus.userID == 111)
        #expect(linkStatus.groupID == 0)
    }

    @Test("status follows a link unless told not to; a dangling link is ENOENT only when followed")
    func statusOfLinks() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let (followed, notFollowed, dangling) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1, 2, 3], to: file)
            try await FileSystem.createSymbolicLink(at: scratch.appending("link"), to: "file")
            try await FileSystem.createSymbolicLink(at: scratch.appending("dangling"), to: "missing")
            await #expect(throws: PathError(path: scratch.appending("dangling"), systemCall: "statx", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.status(of: scratch.appending("dangling"))
            }
            return (
                try await FileSystem.status(of: scratch.appending("link")),
                try await FileSystem.status(of: scratch.appending("link"), followSymlinks: false),
                try await FileSystem.status(of: scratch.appending("dangling"), followSymlinks: false)
            )
        }
        #expect(followed.type == .regular && followed.size == 3)
        #expect(notFollowed.type == .symbolicLink && notFollowed.size == 4)
        #expect(dangling.type == .symbolicLink && dangling.size == 7)
    }

    @Test("bad input: bits outside 0o7777 and UInt32.max owners name the path; empty paths and missing files are refused; nothing is left open")
    func badInput() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let missing = scratch.appending("missing")
        let (before, after) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1], to: file)
            let before = try await FileSystem.status(of: file)
            await #expect(throws: URingError.invalidArgument("permissions for \(file) must lie within 0o7777, got 0o10644")) {
                try await FileSystem.setPermissions(FilePermissions(rawValue: 0o10644), at: file)
            }
            await #expect(throws: URingError.invalidArgument("an owner or group of 4294967295 for \(file) means unchanged: pass nil")) {
                try await FileSystem.setOwner(at: file, user: nil, group: .max)
            }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                try await FileSystem.setPermissions([.ownerRead], at: "")
            }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                try await FileSystem.setTimes(at: "", access: nil, modification: nil)
            }
            await #expect(throws: PathError(path: missing, systemCall: "fchmodat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.setPermissions([.ownerRead], at: missing)
            }
            await #expect(throws: PathError(path: missing, systemCall: "utimensat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.setTimes(at: missing, access: .zero, modification: .zero)
            }
            await #expect(throws: PathError(path: missing, systemCall: "fchownat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.setOwner(at: missing, user: 0, group: 0)
            }
            return (before, try await FileSystem.status(of: file))
        }
        #expect(after.permissions == before.permissions)
        #expect(after.userID == before.userID && after.groupID == before.groupID)
        #expect(openDescriptorCount(on: file) == 0)
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }
}
