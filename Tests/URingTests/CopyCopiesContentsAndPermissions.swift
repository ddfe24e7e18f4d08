import Glibc
import Testing
import URing

@Suite("copy(from:to:) copies contents and permissions", .requiresIOURing)
struct CopyCopiesContentsAndPermissions {
    @Test("a 5 MiB file copies byte for byte with its permissions, whatever the umask")
    func copyLargeFile() async throws {
        let payload = (0..<(5 << 20 + 123)).map { UInt8(truncatingIfNeeded: ($0 &* 7_919) >> 3) }
        let source = try TemporaryFile(contents: payload)
        // Group write is what the usual umask (022) would strip from a freshly created file.
        #expect(chmod(source.path.string, 0o664) == 0)
        let scratch = try TemporaryDirectory()
        let destination = scratch.appending("copy")
        let (back, status) = try await withRuntime { _ in
            try await FileSystem.copy(from: source.path, to: destination)
            return (try await FileSystem.readAll(destination), try await FileSystem.status(of: destination))
        }
        #expect(back.count == payload.count)
        #expect(back == payload)
        #expect(status.permissions == FilePermissions(rawValue: 0o664))
        #expect(openDescriptorCount(on: source.path) == 1)
        #expect(openDescriptorCount(on: destination) == 0)
    }

    @Test("copying over a longer existing file replaces it entirely")
    func copyReplaces() async throws {
        let source = try TemporaryFile(contents: [1, 2])
        let destination = try TemporaryFile(contents: [UInt8](repeating: 9, count: 100))
        _ = try await withRuntime { _ in try await FileSystem.copy(from: source.path, to: destination.path) }
        #expect(try destination.contents() == [1, 2])
    }

    @Test("copying a file onto itself is rejected and leaves it intact")
    func copyOntoItself() async throws {
        let source = try TemporaryFile(contents: [1, 2, 3])
        _ = try await withRuntime { _ in
            let sameFile = URingError.invalidArgument(
                "\(source.path) and \(source.path) are the same file; copying would truncate it")
            await #expect(throws: sameFile) { try await FileSystem.copy(from: source.path, to: source.path) }
        }
        #expect(try source.contents() == [1, 2, 3])
        #expect(openDescriptorCount(on: source.path) == 1)
    }

    @Test("copying a missing file is ENOENT and a directory EISDIR, creating nothing")
    func copyFailures() async throws {
        let scratch = try TemporaryDirectory()
        let destination = scratch.appending("copy")
        _ = try await withRuntime { _ in
            await #expect(throws: PathError(path: scratch.appending("missing"), systemCall: "openat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.copy(from: scratch.appending("missing"), to: destination)
            }
            let directory = await #expect(throws: PathError.self) { try await FileSystem.copy(from: scratch.path, to: destination) }
            #expect(directory?.path == scratch.path)
            #expect(directory?.reason == .unsupportedFileType(.directory))
            #expect(directory?.errno == .isDirectory)
        }
        #expect(access(destination.string, F_OK) != 0)
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }
}
