import Glibc
import Testing
import URing

@Suite("contentsOfDirectory lists every entry once, with its type from the directory", .requiresIOURing)
struct FileSystemContentsOfDirectoryListsEveryEntryWithItsType {
    /// Names long enough that 1,500 of them take several 32 KiB getdents64 batches.
    static func fileName(_ index: Int) -> String { "entry-\(index)-" + String(repeating: "n", count: 40) }

    @Test("1,500 files, a directory, a symbolic link and a FIFO come back once each with their types, and the directory is closed after")
    func listsEverything() async throws {
        let scratch = try TemporaryDirectory()
        for index in 0..<1_500 {
            let fd = open(scratch.appending(Self.fileName(index)).string, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            #expect(fd >= 0)
            close(fd)
        }
        #expect(mkdir(scratch.appending("directory").string, 0o700) == 0)
        #expect(symlink("entry-0", scratch.appending("link").string) == 0)
        #expect(mkfifo(scratch.appending("fifo").string, 0o600) == 0)
        let entries = try await withRuntime { _ in
            var entries: [DirectoryEntry] = []
            for try await entry in FileSystem.contentsOfDirectory(at: scratch.path) { entries.append(entry) }
            return entries
        }
        var expected: [String: FileStatus.FileType] = ["directory": .directory, "link": .symbolicLink, "fifo": .fifo]
        for index in 0..<1_500 { expected[Self.fileName(index)] = .regular }
        #expect(entries.count == expected.count)
        #expect(Dictionary(entries.map { ($0.name.string, $0.type) }, uniquingKeysWith: { first, _ in first }) == expected)
        #expect(entries.allSatisfy { $0.inode != 0 })
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }

    @Test("a missing directory is ENOENT and a regular file ENOTDIR, from the first next(), leaving nothing open")
    func failures() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        close(open(file.string, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600))
        try await withRuntime { _ in
            await #expect(throws: PathError(path: scratch.appending("missing"), systemCall: "openat", errno: .noSuchFileOrDirectory)) {
                for try await _ in FileSystem.contentsOfDirectory(at: scratch.appending("missing")) {}
            }
            await #expect(throws: PathError(path: file, systemCall: "openat", errno: .notDirectory)) {
                for try await _ in FileSystem.contentsOfDirectory(at: file) {}
            }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                for try await _ in FileSystem.contentsOfDirectory(at: "") {}
            }
        }
        #expect(openDescriptorCount(on: file) == 0)
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }
}
