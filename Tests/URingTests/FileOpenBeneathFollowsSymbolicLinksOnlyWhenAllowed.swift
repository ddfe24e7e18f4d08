import Glibc
import Testing
import URing

@Suite("File.open(beneath:) follows symbolic links that stay inside unless told not to", .requiresIOURing)
struct FileOpenBeneathFollowsSymbolicLinksOnlyWhenAllowed {
    @Test("a link to a file inside opens it by default, and throws symbolicLinkRefused naming it with followSymlinks false")
    func linksInside() async throws {
        let root = try TemporaryDirectory()
        let inside = try FileDescriptor.open(root.appending("inside"), .writeOnly, options: [.create], permissions: .ownerReadWrite)
        try inside.closeAfter { _ = try inside.writeAll([3, 4]) }
        #expect(symlink("inside", root.appending("link-in").string) == 0)
        let directory = try FileDescriptor.open(root.path, .readOnly, options: [.directory])
        defer { try? directory.close() }
        let (followed, refused, plain) = try await withRuntime { _ in
            (
                try await File.withOpen("link-in", .readOnly, beneath: directory) { try await $0.read(count: 8, at: 0) },
                await #expect(throws: PathError.self) {
                    try await File.open("link-in", .readOnly, beneath: directory, followSymlinks: false)
                },
                try await File.withOpen("inside", .readOnly, beneath: directory, followSymlinks: false) {
                    try await $0.read(count: 8, at: 0)
                }
            )
        }
        #expect(followed == [3, 4])
        #expect(refused == PathError(path: "link-in", reason: .symbolicLinkRefused))
        #expect(refused?.errno == .tooManySymbolicLinkLevels)
        #expect(plain == [3, 4])
        #expect(openDescriptorCount(on: root.appending("inside")) == 0)
    }
}
