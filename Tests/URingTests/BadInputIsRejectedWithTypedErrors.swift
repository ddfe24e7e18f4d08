import Testing
import URing

@Suite("Bad input is rejected with typed errors", .requiresIOURing)
struct BadInputIsRejectedWithTypedErrors {
    @Test("negative offsets, negative counts, closed files and bad paths each give their error")
    func invalidInputs() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            await #expect(throws: URingError.invalidArgument("offset must not be negative, got -1")) {
                try await file.read(count: 1, at: -1)
            }
            await #expect(throws: URingError.invalidArgument("offset must not be negative, got -5")) {
                try await file.write([1], at: -5)
            }
            await #expect(throws: URingError.invalidArgument("count must not be negative, got -2")) {
                try await file.read(count: -2, at: 0)
            }
            try await file.close()
            await #expect(throws: URingError.closed) { try await file.read(count: 1, at: 0) }
            await #expect(throws: URingError.closed) { try await file.close() }
            await #expect(throws: URingError.invalidArgument("the path is empty")) {
                try await File.open("", .readOnly)
            }
            await #expect(throws: PathError(path: "/nonexistent/swift-uring", systemCall: "openat", errno: .noSuchFileOrDirectory)) {
                try await File.open("/nonexistent/swift-uring", .readOnly)
            }
            await #expect(throws: URingError.invalidArgument("opening with .create needs permissions for the new file")) {
                try await File.open(scratch.path, .readOnly, options: [.create])
            }
        }
    }

    @Test("reading a directory reports EISDIR")
    func readDirectory() async throws {
        try await withRuntime { _ in
            let directory = try await File.open("/tmp", .readOnly)
            await #expect(throws: Errno.isDirectory) { try await directory.read(count: 1, at: 0) }
            try await directory.close()
        }
    }
}
