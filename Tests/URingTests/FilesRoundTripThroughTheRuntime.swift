import Glibc
import Testing
import URing

@Suite("Files round-trip through the runtime", .requiresIOURing)
struct FilesRoundTripThroughTheRuntime {
    @Test("bytes written with File.write read back with File.read")
    func writeThenRead() async throws {
        let scratch = try TemporaryFile()
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            try await file.write(payload, at: 123)
            let back = try await file.read(count: payload.count + 50, at: 123)
            #expect(back == payload)
            try await file.close()
        }
    }

    @Test("reading at or past the end returns no bytes")
    func readAtEnd() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3, 4])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            #expect(try await file.read(count: 10, at: 4) == [])
            #expect(try await file.read(count: 10, at: 1_000) == [])
            #expect(try await file.read(count: 10, at: 2) == [3, 4])
            try await file.close()
        }
    }

    @Test("File.open with .create makes the file with the given permissions")
    func openCreates() async throws {
        let scratch = try TemporaryFile()
        let path = FilePath(scratch.path.string + ".new")
        defer { _ = unlinkIgnoringErrors(path) }
        try await withRuntime { _ in
            let file = try await File.open(path, .writeOnly, options: [.create, .exclusiveCreate], permissions: [.ownerReadWrite])
            try await file.write([9, 9], at: 0)
            try await file.close()
            let again = try await File.open(path, .readOnly)
            #expect(try await again.read(count: 2, at: 0) == [9, 9])
            try await again.close()
        }
    }
}

@discardableResult
func unlinkIgnoringErrors(_ path: FilePath) -> Int32 {
    path.withPlatformString { unlink($0) }
}
