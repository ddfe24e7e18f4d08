// O_DIRECT through the public API: `.direct` opens bypass the page cache, AlignedBuffer
// gives aligned memory, and a misaligned call fails with URingError.misalignedDirectIO
// before anything is submitted.

import Glibc
import SystemPackage
import Testing
import URing

@Suite("O_DIRECT files check alignment before submitting", .requiresIOURing)
struct DirectIOChecksAlignmentBeforeSubmitting {
    @Test("AlignedBuffer is aligned and zeroed, and rejects bad sizes and alignments with typed errors")
    func alignedBuffer() throws {
        let buffer = try AlignedBuffer(byteCount: 10_000, alignment: 4_096)
        #expect(UInt(bitPattern: buffer.bytes.baseAddress) % 4_096 == 0)
        #expect(buffer.bytes.count == 10_000 && buffer.alignment == 4_096)
        #expect(buffer.bytes.allSatisfy { $0 == 0 })
        #expect(throws: URingError.self) { try AlignedBuffer(byteCount: -1) }
        #expect(throws: URingError.self) { try AlignedBuffer(byteCount: 4_096, alignment: 256) }
        #expect(throws: URingError.self) { try AlignedBuffer(byteCount: 4_096, alignment: 3_000) }
    }

    /// `scratch` opened read-write with `.direct`; nil, printing why, where its file system
    /// refuses O_DIRECT (tmpfs before Linux 6.6).
    static func openDirect(_ scratch: TemporaryFile) async throws -> File? {
        do {
            return try await File.open(scratch.path, .readWrite, options: [.direct])
        } catch let error as PathError where error.errno == .invalidArgument {
            print("skipped: \(scratch.path) is on a file system without O_DIRECT (EINVAL at open)")
            return nil
        }
    }

    @Test("aligned direct writes and reads round-trip; misaligned ones throw misalignedDirectIO")
    func directRoundTripAndMisalignment() async throws {
        // The test file's folder must support O_DIRECT (tmpfs does not).
        let scratch = try TemporaryFile()
        try await withRuntime { _ in
            guard let file = try await Self.openDirect(scratch) else { return }
            let source = try AlignedBuffer(byteCount: 8_192)
            for index in 0..<source.bytes.count { source.bytes[index] = UInt8(truncatingIfNeeded: index &* 13) }
            try await file.write(UnsafeRawBufferPointer(source.bytes), at: 4_096)
            let target = try AlignedBuffer(byteCount: 8_192)
            #expect(try await file.read(into: target.bytes, at: 4_096) == 8_192)
            #expect(Array(target.bytes) == Array(source.bytes))

            let misalignedAddress = UnsafeMutableRawBufferPointer(rebasing: target.bytes[1..<4_097])
            await #expect(throws: URingError.misalignedDirectIO(
                address: UInt(bitPattern: misalignedAddress.baseAddress), count: 4_096, offset: 0)
            ) {
                _ = try await file.read(into: misalignedAddress, at: 0)
            }
            let shortLength = UnsafeMutableRawBufferPointer(rebasing: target.bytes[0..<100])
            await #expect(throws: URingError.misalignedDirectIO(
                address: UInt(bitPattern: shortLength.baseAddress), count: 100, offset: 0)
            ) {
                _ = try await file.read(into: shortLength, at: 0)
            }
            await #expect(throws: URingError.misalignedDirectIO(
                address: UInt(bitPattern: source.bytes.baseAddress), count: 4_096, offset: 7)
            ) {
                try await file.write(UnsafeRawBufferPointer(rebasing: source.bytes[0..<4_096]), at: 7)
            }
            try await file.close()
        }
    }

    @Test("read(count:at:), write([UInt8], at:) and readChunks allocate aligned memory on an O_DIRECT file; reads take any count")
    func convenienceCallsAlignTheirOwnMemory() async throws {
        let scratch = try TemporaryFile()
        try await withRuntime { _ in
            guard let file = try await Self.openDirect(scratch) else { return }
            // Malloc's 16-byte alignment would fail each of these calls 31 times in 32.
            // Several rounds, so an allocator that happens to align one call cannot pass it.
            for round in 0..<8 {
                let bytes = (0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ round) }
                try await file.write(bytes, at: 0)
                #expect(try await file.read(count: 8_192, at: 0) == bytes)
                #expect(try await file.read(count: 4_096, at: 4_096) == Array(bytes[4_096...]))
                var chunks: [[UInt8]] = []
                for try await chunk in try file.readChunks(chunkSize: 4_096, range: 0..<8_192) { chunks.append(chunk) }
                #expect(chunks == [Array(bytes[..<4_096]), Array(bytes[4_096...])])
            }
            // Counts and range ends need no alignment: the read is rounded up, the rest dropped.
            let bytes = (0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 7) }
            #expect(try await file.read(count: 1_000, at: 512) == Array(bytes[512..<1_512]))
            var chunks: [[UInt8]] = []
            for try await chunk in try file.readChunks(chunkSize: 4_096, range: 0..<5_000) { chunks.append(chunk) }
            #expect(chunks == [Array(bytes[..<4_096]), Array(bytes[4_096..<5_000])])
            chunks = []
            for try await chunk in try file.readChunks(chunkSize: 4_096, range: 4_096..<20_000) { chunks.append(chunk) }
            #expect(chunks == [Array(bytes[4_096...])])
            try await file.close()
        }
    }

    @Test("vectored reads and writes on an O_DIRECT file round-trip, and check every buffer before submitting")
    func vectoredCallsCheckEveryBuffer() async throws {
        let scratch = try TemporaryFile()
        try await withRuntime { _ in
            guard let file = try await Self.openDirect(scratch) else { return }
            let source = try AlignedBuffer(byteCount: 8_192)
            for index in 0..<source.bytes.count { source.bytes[index] = UInt8(truncatingIfNeeded: index &* 29) }
            let halves = [UnsafeRawBufferPointer(rebasing: source.bytes[..<4_096]), UnsafeRawBufferPointer(rebasing: source.bytes[4_096...])]
            try await file.write(halves, at: 4_096)
            let target = try AlignedBuffer(byteCount: 8_192)
            let targetHalves = [
                UnsafeMutableRawBufferPointer(rebasing: target.bytes[4_096...]),
                UnsafeMutableRawBufferPointer(rebasing: target.bytes[..<4_096]),
            ]
            #expect(try await file.read(into: targetHalves, at: 4_096) == 8_192)
            #expect(Array(target.bytes[4_096...]) == Array(source.bytes[..<4_096]))
            #expect(Array(target.bytes[..<4_096]) == Array(source.bytes[4_096...]))

            // The second buffer is the bad one: each is checked, not only the first.
            let shifted = UnsafeMutableRawBufferPointer(rebasing: target.bytes[1..<513])
            await #expect(throws: URingError.misalignedDirectIO(
                address: UInt(bitPattern: shifted.baseAddress), count: 512, offset: 0)
            ) {
                _ = try await file.read(into: [targetHalves[1], shifted], at: 0)
            }
            let short = UnsafeRawBufferPointer(rebasing: source.bytes[4_096..<4_196])
            await #expect(throws: URingError.misalignedDirectIO(
                address: UInt(bitPattern: short.baseAddress), count: 100, offset: 0)
            ) {
                try await file.write([halves[0], short], at: 0)
            }
            await #expect(throws: URingError.misalignedDirectIO(
                address: UInt(bitPattern: source.bytes.baseAddress), count: 4_096, offset: 100)
            ) {
                try await file.write([halves[0]], at: 100)
            }
            // Nothing reached the file: its first 4 KiB are still zeros.
            #expect(try await file.read(count: 4_096, at: 0) == Array(repeating: 0, count: 4_096))
            try await file.close()
        }
    }

    @Test("a file opened without .direct takes unaligned buffers as before")
    func bufferedFileIsNotChecked() async throws {
        let scratch = try TemporaryFile(contents: Array(repeating: 7, count: 300))
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 101, alignment: 1)
            defer { buffer.deallocate() }
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[1...])
            #expect(try await file.read(into: slice, at: 3) == 100)
            try await file.close()
        }
    }
}
