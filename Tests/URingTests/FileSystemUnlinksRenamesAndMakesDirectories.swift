import Glibc
import Testing
import URing

@Suite("FileSystem unlinks, renames and makes and removes directories", .requiresIOURing)
struct FileSystemUnlinksRenamesAndMakesDirectories {
    @Test("createDirectory makes a directory with the given permissions and EEXIST the second time")
    func createDirectory() async throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.appending("made")
        _ = try await withRuntime { _ in
            try await FileSystem.createDirectory(path, permissions: [.ownerReadWriteExecute])
            let status = try await FileSystem.status(of: path)
            #expect(status.type == .directory)
            #expect(status.permissions == [.ownerReadWriteExecute])
            await #expect(throws: PathError(path: path, systemCall: "mkdirat", errno: .fileExists)) {
                try await FileSystem.createDirectory(path)
            }
        }
    }

    @Test("createDirectory under a missing parent is ENOENT")
    func createDirectoryWithoutParent() async throws {
        let scratch = try TemporaryDirectory()
        _ = try await withRuntime { _ in
            let child = scratch.appending("missing/child")
            await #expect(throws: PathError(path: child, systemCall: "mkdirat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.createDirectory(child)
            }
        }
    }

    @Test("unlink removes a file, then reports ENOENT, and refuses a directory with EISDIR")
    func unlink() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("file")
        try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1], to: file)
            try await FileSystem.unlink(file)
            #expect(access(file.string, F_OK) != 0)
            await #expect(throws: PathError(path: file, systemCall: "unlinkat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.unlink(file)
            }
            await #expect(throws: PathError(path: scratch.path, systemCall: "unlinkat", errno: .isDirectory)) {
                try await FileSystem.unlink(scratch.path)
            }
        }
    }

    @Test("removeDirectory removes an empty directory, refuses a full one with ENOTEMPTY and a missing one with ENOENT")
    func removeDirectory() async throws {
        let scratch = try TemporaryDirectory()
        let empty = scratch.appending("empty")
        let full = scratch.appending("full")
        try await withRuntime { _ in
            try await FileSystem.createDirectory(empty)
            try await FileSystem.createDirectory(full)
            try await FileSystem.write(contentsOf: [1], to: full.appending("inside"))
            try await FileSystem.removeDirectory(empty)
            #expect(access(empty.string, F_OK) != 0)
            await #expect(throws: PathError(path: full, systemCall: "unlinkat", errno: .directoryNotEmpty)) {
                try await FileSystem.removeDirectory(full)
            }
            #expect(access(full.string, F_OK) == 0)
            await #expect(throws: PathError(path: empty, systemCall: "unlinkat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.removeDirectory(empty)
            }
        }
    }

    @Test("rename moves a file over an existing one and reports ENOENT for a missing source")
    func rename() async throws {
        let scratch = try TemporaryDirectory()
        let source = scratch.appending("source")
        let destination = scratch.appending("destination")
        try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1, 2, 3], to: source)
            try await FileSystem.write(contentsOf: [9], to: destination)
            try await FileSystem.rename(source, to: destination)
            #expect(access(source.string, F_OK) != 0)
            #expect(try await FileSystem.readAll(destination) == [1, 2, 3])
            let renamed = PathError(path: source, otherPath: destination, systemCall: "renameat2", errno: .noSuchFileOrDirectory)
            await #expect(throws: renamed) { try await FileSystem.rename(source, to: destination) }
        }
    }

    @Test("renaming a directory onto a non-empty one is ENOTEMPTY")
    func renameOntoFullDirectory() async throws {
        let scratch = try TemporaryDirectory()
        let moving = scratch.appending("moving")
        let full = scratch.appending("full")
        try await withRuntime { _ in
            try await FileSystem.createDirectory(moving)
            try await FileSystem.createDirectory(full)
            try await FileSystem.write(contentsOf: [1], to: full.appending("inside"))
            await #expect(throws: PathError(path: moving, otherPath: full, systemCall: "renameat2", errno: .directoryNotEmpty)) {
                try await FileSystem.rename(moving, to: full)
            }
        }
    }
}
