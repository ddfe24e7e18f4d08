import Testing
import URing

@Suite("Bad input to the file API is rejected with typed errors before any submission", .requiresIOURing)
struct BadFileInputIsRejectedBeforeSubmission {
    @Test("vectored calls reject negative offsets, too many buffers and totals past Int.max")
    func vectoredInputs() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        let storage = TestBuffer(bytes: .allocate(byteCount: 16, alignment: 16))
        defer { storage.bytes.deallocate() }
        _ = try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            let one = [UnsafeMutableRawBufferPointer(rebasing: storage.bytes[0..<4])]
            let oneToWrite = one.map { UnsafeRawBufferPointer($0) }
            await #expect(throws: URingError.invalidArgument("offset must not be negative, got -1")) {
                try await file.read(into: one, at: -1)
            }
            await #expect(throws: URingError.invalidArgument("offset must not be negative, got -3")) {
                try await file.write(oneToWrite, at: -3)
            }
            let tooMany = [UnsafeMutableRawBufferPointer](repeating: one[0], count: 1025)
            let tooManyError = URingError.invalidArgument("at most 1024 buffers (IOV_MAX) per call, got 1025")
            await #expect(throws: tooManyError) { try await file.read(into: tooMany, at: 0) }
            let tooManyToWrite = tooMany.map { UnsafeRawBufferPointer($0) }
            await #expect(throws: tooManyError) { try await file.write(tooManyToWrite, at: 0) }
            // Never dereferenced: the lengths are rejected before an SQE could point at them.
            let huge = [
                UnsafeRawBufferPointer(start: storage.bytes.baseAddress, count: Int.max),
                UnsafeRawBufferPointer(start: storage.bytes.baseAddress, count: 1),
            ]
            let hugeError = URingError.invalidArgument("the buffers add up to more than Int.max bytes")
            await #expect(throws: hugeError) { try await file.write(huge, at: 0) }
            await #expect(throws: hugeError) {
                try await file.read(into: huge.map { UnsafeMutableRawBufferPointer(mutating: $0) }, at: 0)
            }
            try await file.close()
            await #expect(throws: URingError.closed) { try await file.read(into: one, at: 0) }
            await #expect(throws: URingError.closed) { try await file.write(oneToWrite, at: 0) }
        }
        #expect(try scratch.contents() == [1, 2, 3])
    }

    @Test("allocate rejects negative offsets, non-positive lengths, overflowing ranges and a lone punchHole")
    func allocateInputs() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        _ = try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            await #expect(throws: URingError.invalidArgument("offset must not be negative, got -1")) {
                try await file.allocate(offset: -1, length: 10)
            }
            await #expect(throws: URingError.invalidArgument("length must be positive, got 0")) {
                try await file.allocate(offset: 0, length: 0)
            }
            await #expect(throws: URingError.invalidArgument("length must be positive, got -4")) {
                try await file.allocate(offset: 0, length: -4)
            }
            await #expect(
                throws: URingError.invalidArgument("offset 2 + length 9223372036854775807 is past Int64.max")
            ) {
                try await file.allocate(offset: 2, length: .max)
            }
            await #expect(throws: URingError.invalidArgument("punchHole must be combined with keepSize")) {
                try await file.allocate(offset: 0, length: 1, mode: .punchHole)
            }
            try await file.close()
            await #expect(throws: URingError.closed) { try await file.allocate(offset: 0, length: 1) }
            await #expect(throws: URingError.closed) { try await file.status() }
        }
        #expect(try scratch.contents() == [1, 2, 3])
    }

    @Test("every FileSystem call rejects an empty path")
    func emptyPaths() async throws {
        let scratch = try TemporaryFile(contents: [1])
        _ = try await withRuntime { _ in
            let empty = URingError.invalidArgument("the path is empty")
            await #expect(throws: empty) { try await FileSystem.unlink("") }
            await #expect(throws: empty) { try await FileSystem.removeDirectory("") }
            await #expect(throws: empty) { try await FileSystem.rename("", to: scratch.path) }
            await #expect(throws: empty) { try await FileSystem.rename(scratch.path, to: "") }
            await #expect(throws: empty) { try await FileSystem.createDirectory("") }
            await #expect(throws: empty) { try await FileSystem.status(of: "") }
            await #expect(throws: empty) { try await FileSystem.readAll("") }
            await #expect(throws: empty) { try await FileSystem.write(contentsOf: [1], to: "") }
            await #expect(throws: empty) { try await FileSystem.copy(from: "", to: scratch.path) }
            await #expect(throws: empty) { try await FileSystem.copy(from: scratch.path, to: "") }
        }
        #expect(try scratch.contents() == [1])
    }
}
