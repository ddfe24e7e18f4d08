import Glibc
import Testing
import URing

@Suite("File.open(beneath:) refuses paths that leave the directory, naming them", .requiresIOURing)
struct FileOpenBeneathRefusesPathsThatLeaveTheDirectory {
    @Test("absolute paths, .. above the directory and symbolic links pointing out throw escapesDirectory; paths inside open")
    func escapesAreRefused() async throws {
        let root = try TemporaryDirectory()
        let outside = try TemporaryFile(contents: [6, 6, 6])
        let inside = try FileDescriptor.open(root.appending("inside"), .writeOnly, options: [.create], permissions: .ownerReadWrite)
        try inside.closeAfter { _ = try inside.writeAll([1, 2]) }
        _ = mkdir(root.appending("sub").string, 0o700)
        #expect(symlink(outside.path.string, root.appending("link-out").string) == 0)
        let directory = try FileDescriptor.open(root.path, .readOnly, options: [.directory])
        defer { try? directory.close() }
        let escapes: [FilePath] = [
            FilePath("../\(root.path.lastComponent!)/inside"), "sub/../../x", outside.path, "link-out", "sub/../link-out",
        ]
        let (insideBytes, viaDotDot, refused) = try await withRuntime { _ in
            let inside = try await File.withOpen("inside", .readOnly, beneath: directory) { try await $0.read(count: 8, at: 0) }
            let viaDotDot = try await File.withOpen("sub/../inside", .readOnly, beneath: directory) {
                try await $0.read(count: 8, at: 0)
            }
            var refused: [PathError?] = []
            for path in escapes {
                refused.append(await #expect(throws: PathError.self) { try await File.open(path, .readOnly, beneath: directory) })
            }
            await #expect(throws: PathError(path: "missing", systemCall: "openat2", errno: .noSuchFileOrDirectory)) {
                try await File.open("missing", .readOnly, beneath: directory)
            }
            return (inside, viaDotDot, refused)
        }
        #expect(insideBytes == [1, 2])
        #expect(viaDotDot == [1, 2])
        #expect(refused == escapes.map { PathError(path: $0, reason: .escapesDirectory) })
        #expect(refused.map { $0?.errno } == escapes.map { _ in Errno.improperLink })
        #expect(openDescriptorCount(on: outside.path) == 1)
        #expect(openDescriptorCount(on: root.appending("inside")) == 0)
    }
}
