import Glibc
import Testing
import URing

@Suite("createSymbolicLink stores a target that readLink reads back; readLink of anything else names the path", .requiresIOURing)
struct FileSystemSymbolicLinksReadBackTheirTarget {
    @Test("relative, absolute and dangling targets read back as given, and the link is a symbolicLink to statx")
    func targetsReadBack() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let targets: [FilePath] = ["file", file, "missing/elsewhere", FilePath(String(repeating: "x/", count: 300) + "y")]
        let (readBack, type, followed) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [5], to: file)
            var readBack: [FilePath] = []
            for (index, target) in targets.enumerated() {
                let link = scratch.appending("link\(index)")
                try await FileSystem.createSymbolicLink(at: link, to: target)
                readBack.append(try await FileSystem.readLink(at: link))
            }
            return (
                readBack,
                try await FileSystem.status(of: scratch.appending("link0"), followSymlinks: false).type,
                try await FileSystem.readAll(at: scratch.appending("link0"))
            )
        }
        #expect(readBack == targets)
        #expect(type == .symbolicLink)
        #expect(followed == [5])
    }

    @Test("readLink of a regular file throws notSymbolicLink naming it; missing is ENOENT; a taken link name is EEXIST")
    func failures() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        let notLink = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [5], to: file)
            await #expect(throws: PathError(path: scratch.appending("missing"), systemCall: "readlink", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.readLink(at: scratch.appending("missing"))
            }
            await #expect(throws: PathError(path: file, otherPath: "elsewhere", systemCall: "symlinkat", errno: .fileExists)) {
                try await FileSystem.createSymbolicLink(at: file, to: "elsewhere")
            }
            await #expect(throws: URingError.invalidArgument("the path is empty")) { try await FileSystem.readLink(at: "") }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                try await FileSystem.createSymbolicLink(at: scratch.appending("x"), to: "")
            }
            return await #expect(throws: PathError.self) { try await FileSystem.readLink(at: file) }
        }
        #expect(notLink == PathError(path: file, reason: .notSymbolicLink))
        #expect(notLink?.errno == .invalidArgument)
        #expect(openDescriptorCount(on: file) == 0)
    }
}
