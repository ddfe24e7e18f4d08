import Glibc
import Testing
import URing

@Suite("copyTree copies regular files, directories and symbolic links with their modes and times, as cp -a does", .requiresIOURing)
struct FileSystemCopyTreeKeepsWhatCpAKeeps {
    /// What a test checks of one path: type, mode bits, size, times, link target, contents.
    struct Shape: Equatable, CustomStringConvertible {
        var type: mode_t
        var mode: mode_t
        var size: Int
        var modification: Duration
        var access: Duration
        var link: String
        var contents: [UInt8]

        var description: String { "type \(type) mode \(String(mode, radix: 8)) size \(size) mtime \(modification) atime \(access) link \(link)" }
    }

    /// O_NOATIME (<bits/fcntl-linux.h>, behind _GNU_SOURCE): reading for the comparison must
    /// not move the access times being compared.
    static let noAccessTime: Int32 = 0o1000000

    /// Every path under `root` (relative, sorted) with its shape, read with lstat/readlink/read.
    static func shapes(under root: FilePath) throws -> [String: Shape] {
        var result: [String: Shape] = [:]
        func visit(_ relative: String) throws {
            let path = relative.isEmpty ? root.string : root.string + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { throw Errno(rawValue: errno) }
            var shape = Shape(
                type: info.st_mode & S_IFMT, mode: info.st_mode & 0o7777, size: Int(info.st_size),
                modification: .seconds(info.st_mtim.tv_sec) + .nanoseconds(info.st_mtim.tv_nsec),
                access: .seconds(info.st_atim.tv_sec) + .nanoseconds(info.st_atim.tv_nsec), link: "", contents: [])
            switch shape.type {
            case S_IFLNK:
                var target = [CChar](repeating: 0, count: 4096)
                let count = readlink(path, &target, 4095)
                shape.link = String(decoding: target[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                // readlink(2) itself moves a link's access time; only the modification time
                // of links is compared.
                shape.access = .zero
            case S_IFREG:
                let fd = open(path, O_RDONLY | O_CLOEXEC | noAccessTime)
                defer { close(fd) }
                shape.contents = [UInt8](repeating: 0, count: shape.size)
                _ = shape.contents.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            case S_IFDIR:
                // A directory's size depends on how it grew; its entries are compared instead.
                shape.size = 0
                let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | noAccessTime)
                guard fd >= 0, let directory = fdopendir(fd) else { throw Errno(rawValue: errno) }
                var names: [String] = []
                while let entry = readdir(directory) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(directory)
                for name in names { try visit(relative.isEmpty ? name : relative + "/" + name) }
            default:
                break
            }
            result[relative] = shape
        }
        try visit("")
        return result
    }

    /// A tree with nested directories, files of several sizes (one over the ring-copy
    /// limit, so it goes through copy_file_range), unusual modes and symbolic links, and
    /// times set in the last hour (so reading it leaves access times alone under relatime).
    static func makeTree(at root: FilePath) throws {
        func write(_ path: String, _ count: Int, _ mode: mode_t) throws {
            let fd = open(root.string + "/" + path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Errno(rawValue: errno) }
            defer { close(fd) }
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ count) }
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            fchmod(fd, mode)
        }
        try FileManagerless.mkdir(root.string, 0o755)
        for directory in ["a", "a/b", "a/b/c", "empty", "sticky"] { try FileManagerless.mkdir(root.string + "/" + directory, 0o755) }
        try write("zero", 0, 0o644)
        try write("a/small", 100, 0o600)
        try write("a/b/exact", 4096, 0o4755)
        try write("a/b/c/large", 300 * 1024 + 7, 0o640)
        try write("sticky/file", 10, 0o444)
        symlink("a/small", root.string + "/relative-link")
        symlink("/etc/hostname", root.string + "/a/absolute-link")
        symlink("nowhere/at/all", root.string + "/a/b/dangling")
        chmod(root.string + "/sticky", 0o1777)
        chmod(root.string + "/a/b/c", 0o750)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var step = 0
        for (relative, _) in try shapes(under: root) {
            step += 1
            let times = [
                timespec(tv_sec: now.tv_sec - 600 + step, tv_nsec: 111_111_111 * (step % 9)),
                timespec(tv_sec: now.tv_sec - 3000 + step, tv_nsec: 123_456_789),
            ]
            let path = relative.isEmpty ? root.string : root.string + "/" + relative
            utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW)
        }
    }

    @Test("a tree with nested directories, sizes from 0 to 300 KiB, setuid and sticky bits and symbolic links copies identically")
    func copiesIdentically() async throws {
        let scratch = try TemporaryDirectory()
        let source = scratch.appending("source")
        let copy = scratch.appending("copy")
        try Self.makeTree(at: source)
        let before = try Self.shapes(under: source)
        try await withRuntime { _ in try await FileSystem.copyTree(from: source, to: copy, maximumConcurrency: 3) }
        let copied = try Self.shapes(under: copy)
        #expect(copied.keys.sorted() == before.keys.sorted())
        for (path, shape) in before {
            #expect(copied[path] == shape, "\(path)")
        }
        #expect(openDescriptorTargets().filter { $0.hasPrefix(scratch.path.string) }.isEmpty)
    }

    @Test("a single file or symbolic link as the source is copied as itself")
    func singleEntries() async throws {
        let scratch = try TemporaryDirectory()
        let source = scratch.appending("source")
        try Self.makeTree(at: source)
        // Taken before the copy: reading the source moves its access time (relatime), not the copy's.
        let before = try Self.shapes(under: scratch.path)
        try await withRuntime { _ in
            try await FileSystem.copyTree(from: source.appending("a/b/exact"), to: scratch.appending("file"))
            try await FileSystem.copyTree(from: source.appending("relative-link"), to: scratch.appending("link"))
        }
        let after = try Self.shapes(under: scratch.path)
        #expect(after["file"] == before["source/a/b/exact"])
        #expect(after["link"] == before["source/relative-link"])
    }

    @Test("errors name the path: an existing destination, a missing source, a FIFO inside; bad concurrency; nothing left open")
    func failures() async throws {
        let scratch = try TemporaryDirectory()
        let source = scratch.appending("source")
        try Self.makeTree(at: source)
        let missing = scratch.appending("missing")
        let fifo = source.appending("a/b/fifo")
        try await withRuntime { _ in
            await #expect(throws: PathError(path: source, systemCall: "mkdirat", errno: .fileExists)) {
                try await FileSystem.copyTree(from: source, to: source)
            }
            await #expect(throws: PathError(path: missing, systemCall: "statx", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.copyTree(from: missing, to: scratch.appending("copy0"))
            }
            await #expect(throws: URingError.invalidArgument("maximumConcurrency must be at least 1, got 0")) {
                try await FileSystem.copyTree(from: source, to: scratch.appending("copy1"), maximumConcurrency: 0)
            }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                try await FileSystem.copyTree(from: source, to: "")
            }
            #expect(mkfifo(fifo.string, 0o644) == 0)
            let refused = await #expect(throws: PathError.self) {
                try await FileSystem.copyTree(from: source, to: scratch.appending("copy2"), maximumConcurrency: 2)
            }
            #expect(refused == PathError(path: fifo, reason: .unsupportedFileType(.fifo)))
            #expect(refused?.errno == .notSupported)
        }
        #expect(access(scratch.appending("copy0").string, F_OK) != 0)
        #expect(openDescriptorTargets().filter { $0.hasPrefix(scratch.path.string) }.isEmpty)
    }
}

@Suite("copy(from:to:) copies in the kernel, and reads to the end what statx calls empty", .requiresIOURing)
struct CopyReadsToTheEndAndRefusesEndlessSources {
    @Test("a /proc file (statx size 0) copies whole; /dev/zero and a FIFO are refused, naming the path")
    func specialSources() async throws {
        let scratch = try TemporaryDirectory()
        let fifo = scratch.appending("fifo")
        #expect(mkfifo(fifo.string, 0o644) == 0)
        let copied = try await withRuntime { _ in
            await #expect(throws: PathError(path: "/dev/zero", reason: .unsupportedFileType(.characterDevice))) {
                try await FileSystem.copy(from: "/dev/zero", to: scratch.appending("zero"))
            }
            try await FileSystem.copy(from: "/proc/self/mountinfo", to: scratch.appending("mountinfo"))
            return try await FileSystem.readAll(at: scratch.appending("mountinfo"))
        }
        #expect(copied.count > 0)
        #expect(String(decoding: copied, as: UTF8.self).contains(" / "))
        #expect(openDescriptorCount(on: "/dev/zero") == 0)
    }
}

/// mkdir(2) that throws.
enum FileManagerless {
    static func mkdir(_ path: String, _ mode: mode_t) throws {
        guard Glibc.mkdir(path, mode) == 0 else { throw Errno(rawValue: errno) }
    }
}
