// An O_DIRECT call that passes File's own check (512-byte alignment) can still be refused
// by a device with larger logical blocks: the kernel answers EINVAL, and the caller gets
// URingError.misalignedDirectIO for it on every path (one SQE, vectored, a buffer over
// one SQE's limit done in chunks, readChunks), never a bare Errno.

import Glibc
import SystemPackage
import Testing
import URing

@Suite("O_DIRECT: the kernel's alignment refusal is misalignedDirectIO", .requiresIOURing, .requiresLoopDevices)
struct DirectIOKernelRefusalIsTyped {
    /// One SQE's limit (File.maximumChunk): larger buffers go in chunks of this size.
    static let chunk = Int(UInt32.max) & ~4095

    @Test("on a device with 4096-byte blocks, 512-aligned reads and writes throw misalignedDirectIO, chunked or not")
    func kernelRefusalIsTyped() async throws {
        let device = try LoopDevice(byteCount: 1 << 20, blockSize: 4_096)
        // Over one SQE's limit, so read and write take their chunked paths. Reserved, never
        // touched: the kernel checks the offset before it pins a page.
        let hugeCount = Self.chunk + 8_192
        let huge = try #require(
            mmap(nil, hugeCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            "mmap of \(hugeCount) bytes")
        try #require(huge != MAP_FAILED, "mmap of \(hugeCount) bytes: \(Errno(rawValue: errno))")
        defer { munmap(huge, hugeCount) }
        let hugeAddress = UInt(bitPattern: huge)
        try await withRuntime { _ in
            let file = try await File.open(device.path, .readWrite, options: [.direct])
            let buffer = try AlignedBuffer(byteCount: 8_192, alignment: 4_096)
            let address = UInt(bitPattern: buffer.bytes.baseAddress)
            // Aligned to the device's blocks: served.
            #expect(try await file.read(into: buffer.bytes, at: 4_096) == 8_192)
            try await file.write(UnsafeRawBufferPointer(buffer.bytes), at: 8_192)

            let oneBlock = UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[0..<4_096])
            await #expect(throws: URingError.misalignedDirectIO(address: address, count: 4_096, offset: 512)) {
                _ = try await file.read(into: oneBlock, at: 512)
            }
            await #expect(throws: URingError.misalignedDirectIO(address: address, count: 4_096, offset: 512)) {
                try await file.write(UnsafeRawBufferPointer(oneBlock), at: 512)
            }

            // Vectored: the first buffer of the refused SQE, and all it asked for.
            let halves = [
                UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[..<4_096]),
                UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[4_096...]),
            ]
            await #expect(throws: URingError.misalignedDirectIO(address: address, count: 8_192, offset: 512)) {
                _ = try await file.read(into: halves, at: 512)
            }
            await #expect(throws: URingError.misalignedDirectIO(address: address, count: 8_192, offset: 512)) {
                try await file.write(halves.map { UnsafeRawBufferPointer($0) }, at: 512)
            }

            // The chunked paths name the chunk the kernel refused (here the first).
            // Safety: the mapping outlives the runtime (unmapped after withRuntime returns).
            let hugeBuffer = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: hugeAddress), count: hugeCount)
            await #expect(throws: URingError.misalignedDirectIO(address: hugeAddress, count: Self.chunk, offset: 512)) {
                _ = try await file.read(into: hugeBuffer, at: 512)
            }
            await #expect(throws: URingError.misalignedDirectIO(address: hugeAddress, count: Self.chunk, offset: 512)) {
                try await file.write(UnsafeRawBufferPointer(hugeBuffer), at: 512)
            }

            // readChunks: its first chunk starts at 512 (its buffer is the runtime's own).
            var chunksError: (any Error)?
            do {
                for try await _ in try file.readChunks(chunkSize: 4_096, range: 512..<8_704) {}
            } catch {
                chunksError = error
            }
            guard case .misalignedDirectIO(_, count: 4_096, offset: 512)? = chunksError as? URingError else {
                Issue.record("readChunks from 512 threw \(String(describing: chunksError)), not misalignedDirectIO")
                return
            }
            try await file.close()
        }
    }
}
