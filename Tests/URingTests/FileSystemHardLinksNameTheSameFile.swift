import Glibc
import Testing
import URing

@Suite("createHardLink gives a file a second name", .requiresIOURing)
struct FileSystemHardLinksNameTheSameFile {
    @Test("both names have the same inode, a link count of 2 and the same bytes; a taken name is EEXIST, a missing file ENOENT")
    func sameFile() async throws {
        let scratch = try TemporaryDirectory()
        let original = scratch.appending("original")
        let second = scratch.appending("second")
        let (first, linked, bytes) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1, 2, 3], to: original)
            try await FileSystem.createHardLink(at: second, to: original)
            await #expect(throws: PathError(path: second, otherPath: original, systemCall: "linkat", errno: .fileExists)) {
                try await FileSystem.createHardLink(at: second, to: original)
            }
            let third = scratch.appending("third"), missing = scratch.appending("missing")
            await #expect(throws: PathError(path: third, otherPath: missing, systemCall: "linkat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.createHardLink(at: third, to: missing)
            }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                try await FileSystem.createHardLink(at: "", to: original)
            }
            return (
                try await FileSystem.status(of: original), try await FileSystem.status(of: second),
                try await FileSystem.readAll(at: second)
            )
        }
        #expect(first.inode == linked.inode)
        #expect(linked.linkCount == 2)
        #expect(bytes == [1, 2, 3])
    }
}
