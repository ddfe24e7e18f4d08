import Glibc
import Testing
import URing

@Suite("write(contentsOf:to:) writes whole files", .requiresIOURing)
struct WriteContentsWritesWholeFiles {
    @Test("bytes written with write(contentsOf:to:) come back from readAll")
    func writeThenReadAll() async throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.appending("file")
        let payload = (0..<1_500_000).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 1) }
        let back = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: payload, to: path, options: .synchronize)
            return try await FileSystem.readAll(path)
        }
        #expect(back == payload)
        #expect(openDescriptorCount(on: path) == 0)
    }

    @Test("writing again truncates, append adds to the end, and the new file gets its permissions")
    func truncateAndAppend() async throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.appending("file")
        let (afterTruncate, afterAppend, permissions) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1, 2, 3, 4, 5], to: path, permissions: [.ownerRead, .ownerWrite])
            try await FileSystem.write(contentsOf: [6, 7], to: path)
            let afterTruncate = try await FileSystem.readAll(path)
            try await FileSystem.write(contentsOf: [8], to: path, options: .append)
            let afterAppend = try await FileSystem.readAll(path)
            return (afterTruncate, afterAppend, try await FileSystem.status(of: path).permissions)
        }
        #expect(afterTruncate == [6, 7])
        #expect(afterAppend == [6, 7, 8])
        #expect(permissions == [.ownerRead, .ownerWrite])
    }

    @Test("exclusiveCreate refuses an existing file with EEXIST and leaves it unchanged")
    func exclusiveCreate() async throws {
        let scratch = try TemporaryFile(contents: [42])
        _ = try await withRuntime { _ in
            await #expect(throws: PathError(path: scratch.path, systemCall: "openat", errno: .fileExists)) {
                try await FileSystem.write(contentsOf: [1], to: scratch.path, options: .exclusiveCreate)
            }
        }
        #expect(try scratch.contents() == [42])
        #expect(openDescriptorCount(on: scratch.path) == 1)
    }

    @Test("writing into a missing directory is ENOENT")
    func missingDirectory() async throws {
        let scratch = try TemporaryDirectory()
        _ = try await withRuntime { _ in
            let missing = scratch.appending("missing/file")
            await #expect(throws: PathError(path: missing, systemCall: "openat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.write(contentsOf: [1], to: missing)
            }
        }
    }
}
