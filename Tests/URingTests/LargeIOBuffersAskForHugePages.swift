// Large I/O buffers (an AlignedBuffer of a huge page or more, a fixed-buffer pool) start on
// a huge-page boundary and carry the kernel's huge-page advice, so each 2 MiB of them can
// be one physically contiguous page and a large O_DIRECT transfer one segment at the
// device. The advice shows in /proc/self/smaps as the mapping's "hg" VmFlag.

import Glibc
import Testing
import URing

@Suite("Large I/O buffers start on a huge-page boundary and ask for huge pages")
struct LargeIOBuffersAskForHugePages {
    @Test("an AlignedBuffer of a huge page or more is huge-page aligned, zeroed, writable and advised for huge pages")
    func largeAlignedBuffer() throws {
        let huge = AlignedBuffer.hugePageSize
        #expect(huge >= 1 << 20 && huge & (huge - 1) == 0)
        // Not a whole number of huge pages, to cover a tail of ordinary pages too.
        let buffer = try AlignedBuffer(byteCount: 2 * huge + 12_288)
        let start = UInt(bitPattern: buffer.bytes.baseAddress)
        #expect(start % UInt(huge) == 0)
        #expect(buffer.bytes.count == 2 * huge + 12_288 && buffer.alignment == 4_096)
        for index in stride(from: 0, to: buffer.bytes.count, by: 4_093) { #expect(buffer.bytes[index] == 0) }
        #expect(buffer.bytes[buffer.bytes.count - 1] == 0)
        buffer.bytes.initializeMemory(as: UInt8.self, repeating: 0xA5)
        #expect(buffer.bytes[buffer.bytes.count - 1] == 0xA5)
        try Self.expectHugePageAdvice(at: start)
    }

    @Test("a smaller AlignedBuffer keeps the alignment asked for, from the heap")
    func smallAlignedBuffer() throws {
        let buffer = try AlignedBuffer(byteCount: 128 * 1024, alignment: 8_192)
        #expect(UInt(bitPattern: buffer.bytes.baseAddress) % 8_192 == 0)
        #expect(buffer.bytes.allSatisfy { $0 == 0 })
        // An alignment above the huge page size is honoured as asked.
        let wide = try AlignedBuffer(byteCount: AlignedBuffer.hugePageSize, alignment: 2 * AlignedBuffer.hugePageSize)
        #expect(UInt(bitPattern: wide.bytes.baseAddress) % UInt(2 * AlignedBuffer.hugePageSize) == 0)
    }

    @Test("a fixed-buffer pool of a huge page or more starts on a huge-page boundary and is advised for huge pages")
    func fixedBufferPool() async throws {
        let shape = FixedBufferConfiguration(count: 16, bufferSize: 128 * 1024)
        try await withRuntime(workers: 1, { $0.fixedBuffers = shape }) { runtime in
            let pool = try #require(runtime.fixedBuffers)
            let first = try #require(pool.take())
            #expect(first.index == 0)
            let start = UInt(bitPattern: first.bytes.baseAddress)
            #expect(start % UInt(AlignedBuffer.hugePageSize) == 0)
            try Self.expectHugePageAdvice(at: start)
        }
    }

    /// Expects the mapping holding `address` to carry MADV_HUGEPAGE ("hg" in its smaps
    /// VmFlags); skips that check, saying why, on a kernel built without huge pages.
    private static func expectHugePageAdvice(at address: UInt) throws {
        guard access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0 else {
            print("skipped the huge-page advice check: this kernel has no transparent huge pages")
            return
        }
        let mapping = try #require(
            try ProcessMapping.all().first { $0.addresses.contains(address) }, "no mapping holds \(address) in /proc/self/smaps")
        #expect(mapping.flags.contains("hg"), "the buffer's mapping: \(mapping)")
    }
}
