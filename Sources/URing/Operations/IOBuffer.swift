// Heap buffers whose size comes from a caller (`read(count:)`, `receive(maxCount:)`) or
// from a file (`readAll` sizes its buffer by statx): a size the process cannot get is an
// error the caller can handle (ENOMEM), not the crash `allocate(byteCount:)` makes of it.

import Glibc

/// Memory for I/O that may be too large to get.
enum IOBuffer {
    /// The machine's physical memory: no I/O buffer can usefully be larger, so larger
    /// sizes fail here without asking malloc (which under AddressSanitizer aborts on
    /// sizes past its limit instead of returning nil).
    static let physicalMemory: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return Int.max }
        return pages.multipliedReportingOverflow(by: pageSize).overflow ? Int.max : pages * pageSize
    }()

    /// `byteCount` bytes aligned to `alignment` (a power of two, at least 16), or
    /// `Errno.noMemory` when that is more than the machine's memory or malloc refuses it.
    /// Free with `IOBuffer.free`.
    static func allocate(byteCount: Int, alignment: Int = 16) throws -> UnsafeMutableRawBufferPointer {
        guard byteCount >= 0 else { throw URingError.invalidArgument("a buffer size must not be negative, got \(byteCount)") }
        guard byteCount <= physicalMemory else { throw Errno.noMemory }
        var pointer: UnsafeMutableRawPointer?
        // Safety: posix_memalign hands out uninitialised bytes the caller owns until free.
        guard posix_memalign(&pointer, alignment, max(byteCount, 1)) == 0, let pointer else { throw Errno.noMemory }
        return UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)
    }

    static func free(_ buffer: UnsafeMutableRawBufferPointer) {
        Glibc.free(buffer.baseAddress)
    }
}
