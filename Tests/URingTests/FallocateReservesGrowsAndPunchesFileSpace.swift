import Testing
import URing

@Suite("fallocate reserves, grows and punches file space", .requiresIOURing)
struct FallocateReservesGrowsAndPunchesFileSpace {
    @Test("allocating past the end grows the file to offset plus length")
    func allocateGrowsFile() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            try await file.allocate(offset: 4096, length: 1 << 20)
            let status = try await file.status()
            #expect(status.size == 4096 + (1 << 20))
            #expect(status.blocks * 512 >= 1 << 20)
            #expect(try await file.read(count: 5, at: 0) == [1, 2, 3, 0, 0])
            try await file.close()
        }
    }

    @Test("allocating with keepSize reserves blocks but keeps the size")
    func allocateKeepingSize() async throws {
        let scratch = try TemporaryFile(contents: [7])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            try await file.allocate(offset: 0, length: 1 << 20, mode: .keepSize)
            let status = try await file.status()
            #expect(status.size == 1)
            #expect(status.blocks * 512 >= 1 << 20)
            try await file.close()
        }
    }

    @Test("punching a hole makes the range read back as zeros")
    func punchHole() async throws {
        let scratch = try TemporaryFile(contents: [UInt8](repeating: 0xAA, count: 3 * 4096))
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            try await file.allocate(offset: 4096, length: 4096, mode: [.punchHole, .keepSize])
            let back = try await file.read(count: 3 * 4096, at: 0)
            let kept = [UInt8](repeating: 0xAA, count: 4096)
            #expect(back == kept + [UInt8](repeating: 0, count: 4096) + kept)
            #expect(try await file.status().size == 3 * 4096)
            try await file.close()
        }
    }
}
