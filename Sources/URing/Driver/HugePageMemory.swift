// Anonymous memory for large I/O buffers, placed on a huge-page boundary and advised for
// transparent huge pages (MADV_HUGEPAGE), so that the kernel can back each 2 MiB of it
// with one physically contiguous page. What that buys: a transfer into physically
// scattered 4 KiB pages reaches a virtio disk as one segment per page, one into a huge
// page as a single segment. On this project's test machines (a Firecracker guest's
// virtio-blk), 128 KiB O_DIRECT reads at QD8 ran at 12-13K per second into scattered
// pages and 23-24K into huge pages (Benchmarks/raw/FINDINGS.md); fio's own buffers
// land either way by chance, which made its rate flip between the two from run to run.
//
// The advice is only advice: with THP set to "never", or no huge page free, the memory is
// ordinary pages and everything works the same. With THP's defrag setting at "madvise"
// (Debian's default) the first touch of each 2 MiB may compact memory to find a huge page:
// these buffers are meant to be made once and reused, not made per operation.

import Glibc

enum HugePageMemory {
    /// The transparent huge page size (`/sys/kernel/mm/transparent_hugepage/hpage_pmd_size`;
    /// 2 MiB where that file is missing).
    static let pageSize: Int = {
        let fallback = 2 << 20
        guard let text = try? readSmallFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"),
            let size = Int(text.filter { !$0.isWhitespace }), size > 0, size & (size - 1) == 0
        else { return fallback }
        return size
    }()

    /// Maps `byteCount` (> 0) zeroed bytes starting on a huge-page boundary and asks for
    /// huge pages for them. Unmap with `unmap(_:byteCount:)`.
    static func map(byteCount: Int) throws(Errno) -> UnsafeMutableRawPointer {
        let system = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = (byteCount + system - 1) / system * system
        let (reserved, overflow) = length.addingReportingOverflow(pageSize)
        if overflow { throw Errno.noMemory }
        // Safety: a fresh private anonymous mapping; the parts outside [start, start +
        // length) are unmapped at once, so only the aligned part is ever handed out.
        guard let raw = mmap(nil, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED
        else { throw Errno(rawValue: errno) }
        let address = UInt(bitPattern: raw)
        let start = (address + UInt(pageSize) - 1) & ~(UInt(pageSize) - 1)
        let head = Int(start - address)
        if head > 0 { munmap(raw, head) }
        let tail = reserved - head - length
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + UInt(length)), tail) }
        let pointer = UnsafeMutableRawPointer(bitPattern: start)!
        // Advice: EINVAL on a kernel without THP, which leaves ordinary pages.
        _ = madvise(pointer, length, MADV_HUGEPAGE)
        return pointer
    }

    /// Unmaps memory from `map(byteCount:)`.
    static func unmap(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        munmap(pointer, byteCount)
    }
}
