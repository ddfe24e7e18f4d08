import Glibc
import Testing
import URing

@Suite("Vectored reads and writes round-trip", .requiresIOURing)
struct VectoredReadsAndWritesRoundTrip {
    @Test("bytes written from several buffers read back into differently split buffers")
    func writevThenReadv() async throws {
        let scratch = try TemporaryFile()
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let source = TestBuffer(bytes: .allocate(byteCount: payload.count, alignment: 16))
        let target = TestBuffer(bytes: .allocate(byteCount: payload.count + 10, alignment: 16))
        defer {
            source.bytes.deallocate()
            target.bytes.deallocate()
        }
        payload.withUnsafeBytes { source.bytes.copyMemory(from: $0) }
        target.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            let writeCuts = [0, 1, 4096, 4097, 100_000, 300_000]
            let writes = zip(writeCuts, writeCuts.dropFirst()).map {
                UnsafeRawBufferPointer(rebasing: source.bytes[$0..<$1])
            }
            try await file.write(writes, at: 50)
            let readCuts = [0, 7, 7, 65_536, 200_000, 300_010]
            let reads = zip(readCuts, readCuts.dropFirst()).map {
                UnsafeMutableRawBufferPointer(rebasing: target.bytes[$0..<$1])
            }
            // Reading past the end comes up short by exactly the bytes that are not there.
            #expect(try await file.read(into: reads, at: 50) == payload.count)
            try await file.close()
        }
        #expect(Array(UnsafeRawBufferPointer(rebasing: target.bytes[..<payload.count])) == payload)
        #expect(try scratch.contents() == [UInt8](repeating: 0, count: 50) + payload)
    }

    @Test("a writev into a pipe larger than the pipe holds arrives whole and in order")
    func writevIntoPipeContinuesAfterShortWrites() async throws {
        let pipe = try Pipe()
        // 16 vectors of 64 KiB + 1: far more than the 64 KiB a pipe takes in one write.
        let pieceSize = 65_537
        let pieces = 16
        let payload = (0..<(pieceSize * pieces)).map { UInt8(truncatingIfNeeded: $0 / 3) }
        let source = TestBuffer(bytes: .allocate(byteCount: payload.count, alignment: 16))
        defer { source.bytes.deallocate() }
        payload.withUnsafeBytes { source.bytes.copyMemory(from: $0) }
        let received = try await withRuntime { runtime in
            let reader = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let writer = File(taking: FileDescriptor(rawValue: dup(pipe.writeEnd.rawValue)))
            let reading = Task(executorPreference: runtime.executor) {
                var bytes: [UInt8] = []
                while bytes.count < payload.count {
                    let chunk = try await reader.read(count: 10_000, at: 0)
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                try await reader.close()
                return bytes
            }
            let buffers = (0..<pieces).map {
                UnsafeRawBufferPointer(rebasing: source.bytes[($0 * pieceSize)..<(($0 + 1) * pieceSize)])
            }
            try await writer.write(buffers, at: 0)
            try await writer.close()
            return try await reading.value
        }
        #expect(received.count == payload.count)
        #expect(received == payload)
    }

    @Test("no buffers, or only empty ones, move nothing")
    func emptyVectors() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            #expect(try await file.read(into: [UnsafeMutableRawBufferPointer](), at: 0) == 0)
            try await file.write([UnsafeRawBufferPointer](), at: 0)
            try await file.write([UnsafeRawBufferPointer(start: nil, count: 0)], at: 0)
            try await file.close()
        }
        #expect(try scratch.contents() == [1, 2, 3])
    }
}
