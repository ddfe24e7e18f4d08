import Glibc
import Testing
import URing

@Suite("Files flush to storage through the ring", .requiresIOURing)
struct FilesFlushToStorageThroughTheRing {
    @Test("sync and syncData succeed on a written file and leave its bytes intact")
    func syncWrittenFile() async throws {
        let scratch = try TemporaryFile()
        let payload = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            try await file.write(payload, at: 0)
            try await file.sync()
            try await file.write([0xEE], at: Int64(payload.count))
            try await file.syncData()
            #expect(try await file.read(count: payload.count + 1, at: 0) == payload + [0xEE])
            try await file.close()
        }
        #expect(try scratch.contents() == payload + [0xEE])
    }

    @Test("syncing a pipe reports the kernel's EINVAL")
    func syncPipeFails() async throws {
        let pipe = try Pipe()
        try await withRuntime { _ in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.writeEnd.rawValue)))
            await #expect(throws: Errno.invalidArgument) { try await file.sync() }
            await #expect(throws: Errno.invalidArgument) { try await file.syncData() }
            try await file.close()
        }
    }

    @Test("syncing a closed file throws closed")
    func syncClosedFile() async throws {
        let scratch = try TemporaryFile()
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            try await file.close()
            await #expect(throws: URingError.closed) { try await file.sync() }
            await #expect(throws: URingError.closed) { try await file.syncData() }
        }
    }
}
