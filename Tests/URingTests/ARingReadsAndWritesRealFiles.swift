import Testing
@_spi(URingInternals) import URing

@Suite("A ring reads and writes real files", .requiresRealRing)
struct ARingReadsAndWritesRealFiles {
    @Test("bytes written through the ring read back through the ring")
    func writeThenRead() throws {
        let file = try TemporaryFile()
        var ring = try Ring()
        let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

        try payload.withUnsafeBytes { bytes in
            let entry = try ring.nextEntry()
            entry.write(file.descriptor, from: bytes, at: 4096)
            entry.userData = 1
        }
        let written = try ring.completions(1)
        #expect(written == [Completion(userData: 1, result: Int32(payload.count), flags: 0)])
        #expect(try Array(file.contents()[4096...]) == payload)

        var readBack = [UInt8](repeating: 0, count: payload.count)
        try readBack.withUnsafeMutableBytes { bytes in
            let entry = try ring.nextEntry()
            entry.read(file.descriptor, into: bytes, at: 4096)
            entry.userData = 2
            let read = try ring.completions(1)
            #expect(read.first?.result == Int32(payload.count))
        }
        #expect(readBack == payload)
    }

    @Test("a read past the end of the file completes with zero bytes")
    func readPastEnd() throws {
        let file = try TemporaryFile(contents: [1, 2, 3])
        var ring = try Ring()
        var buffer = [UInt8](repeating: 0, count: 16)
        try buffer.withUnsafeMutableBytes { bytes in
            let entry = try ring.nextEntry()
            entry.read(file.descriptor, into: bytes, at: 3)
            entry.userData = 7
            #expect(try ring.completions(1) == [Completion(userData: 7, result: 0, flags: 0)])
        }
    }
}
