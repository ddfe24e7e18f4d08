// O_DIRECT: file I/O that bypasses the page cache (storage benchmarks, databases that
// cache for themselves). swift-system's OpenOptions does not name O_DIRECT (its value
// differs per architecture), so URing does. The kernel wants the buffer's address, the
// length and the file offset aligned to the device's logical block size (512 or 4096
// bytes): `AlignedBuffer` gives memory that is, and a File opened with `.direct` checks
// each call before submitting it, so a misaligned one fails with a clear
// `URingError.misalignedDirectIO` instead of the kernel's bare EINVAL.

import Glibc

extension FileDescriptor.OpenOptions {
    /// O_DIRECT: transfers go between the device and your buffer, bypassing the page
    /// cache. Buffers, lengths and offsets must be multiples of the device's logical
    /// block size (use `AlignedBuffer`; 4096 suits every device). A file system without
    /// O_DIRECT (tmpfs before Linux 6.6, some FUSE file systems) refuses the open:
    /// `File.open` throws a `PathError` whose `errno` is EINVAL.
    public static var direct: FileDescriptor.OpenOptions { FileDescriptor.OpenOptions(rawValue: directFlag) }
}

/// O_DIRECT's value on this architecture (Linux's asm-generic value, and the exceptions).
#if arch(arm64) || arch(arm)
let directFlag: Int32 = 0o200000
#elseif arch(powerpc64) || arch(powerpc64le)
let directFlag: Int32 = 0o400000
#else
let directFlag: Int32 = 0o40000
#endif

/// Memory aligned for O_DIRECT I/O, freed when the buffer is released.
///
/// Pass `bytes` (or a slice of it that keeps the alignment) to `File.read(into:at:)` and
/// `File.write(_:at:)`. Not Sendable: like any buffer, one task writes it at a time.
///
/// A buffer of a huge page (2 MiB on x86-64 and most arm64 kernels) or more starts on a
/// huge-page boundary and is advised for transparent huge pages, so each 2 MiB of it can
/// be one physically contiguous page. For O_DIRECT transfers larger than 4 KiB that
/// matters: a transfer into scattered pages reaches the device as one segment per page.
/// On a virtio disk, 128 KiB reads at queue depth 8 went from 12-13K to 23-24K per second
/// with huge pages. So give concurrent transfers slices of one buffer of at least 2 MiB
/// (each slice on a multiple of its size, so none crosses a huge page) rather than a
/// small buffer each. Smaller buffers come from the heap, as any allocation.
public final class AlignedBuffer {
    /// The memory: `count` bytes starting at a multiple of `alignment`.
    public let bytes: UnsafeMutableRawBufferPointer
    /// The alignment of `bytes.baseAddress`.
    public let alignment: Int

    /// The size from which a buffer starts on a huge-page boundary and is advised for
    /// transparent huge pages (the kernel's THP size, 2 MiB on x86-64).
    public static var hugePageSize: Int { HugePageMemory.pageSize }

    /// `byteCount` bytes aligned to `alignment` (a power of two, at least 512), zeroed.
    ///
    /// - Throws: `URingError.invalidArgument` for a negative size or an alignment that is
    ///   not a power of two of at least 512; `Errno.noMemory` when it cannot be allocated.
    public init(byteCount: Int, alignment: Int = 4096) throws {
        guard byteCount >= 0 else {
            throw URingError.invalidArgument("an aligned buffer's size must not be negative, got \(byteCount)")
        }
        guard alignment >= 512, alignment & (alignment - 1) == 0 else {
            throw URingError.invalidArgument("an aligned buffer's alignment must be a power of two of at least 512, got \(alignment)")
        }
        guard byteCount <= IOBuffer.physicalMemory else { throw Errno.noMemory }
        isMapped = byteCount >= HugePageMemory.pageSize && alignment <= HugePageMemory.pageSize
        let start: UnsafeMutableRawPointer
        if isMapped {
            // Safety: a mapping this object owns until deinit unmaps it; zeroed by the kernel.
            start = try HugePageMemory.map(byteCount: byteCount)
        } else {
            var pointer: UnsafeMutableRawPointer?
            // Safety: posix_memalign hands out memory this object owns until deinit frees it.
            guard posix_memalign(&pointer, alignment, max(byteCount, 1)) == 0, let pointer else { throw Errno.noMemory }
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            start = pointer
        }
        bytes = UnsafeMutableRawBufferPointer(start: start, count: byteCount)
        self.alignment = alignment
    }

    /// Whether `bytes` is a huge-page-aligned mapping (unmapped in deinit) or heap memory.
    private let isMapped: Bool

    deinit {
        if isMapped {
            HugePageMemory.unmap(bytes.baseAddress!, byteCount: bytes.count)
        } else {
            free(bytes.baseAddress)
        }
    }
}

/// What O_DIRECT needs of every call: the smallest logical block size any device has.
/// Devices with 4096-byte blocks reject what passes this with EINVAL, which the File
/// then reports as the same error.
let directAlignment = 512

/// The alignment of the memory File allocates itself for an O_DIRECT file (`read(count:at:)`,
/// `write(_: [UInt8], at:)`, `readChunks`): a page, which also satisfies devices with
/// 4096-byte logical blocks.
let directBufferAlignment = 4_096

extension File {
    /// Throws `URingError.misalignedDirectIO` unless address, length and offset are all
    /// multiples of 512 (only for files opened with `.direct`).
    @inline(__always)
    func checkDirectAlignment(_ address: UnsafeRawPointer?, count: Int, offset: UInt64) throws {
        guard isDirect else { return }
        let address = UInt(bitPattern: address)
        if address % UInt(directAlignment) != 0 || count % directAlignment != 0 || offset % UInt64(directAlignment) != 0 {
            throw URingError.misalignedDirectIO(address: address, count: count, offset: offset)
        }
    }

    /// The alignment for memory this File allocates for its own reads and writes.
    var bufferAlignment: Int { isDirect ? directBufferAlignment : 16 }

    /// How many bytes to read into memory of its own when the caller wants `count`: on an
    /// O_DIRECT file, `count` rounded up to whole `directBufferAlignment` blocks (the
    /// extra bytes are dropped), so any count can be asked for; `count` otherwise.
    func ownReadSize(_ count: Int) -> Int {
        guard isDirect else { return count }
        let (sum, overflow) = count.addingReportingOverflow(directBufferAlignment - 1)
        return overflow ? count : sum & ~(directBufferAlignment - 1)
    }

    /// The typed error for the kernel's EINVAL on an O_DIRECT file (alignment finer than
    /// 512 bytes is the usual cause); other errors pass through.
    func directIOError(_ error: Error, _ address: UnsafeRawPointer?, count: Int, offset: UInt64) -> Error {
        guard isDirect, let errno = error as? Errno, errno == .invalidArgument else { return error }
        return URingError.misalignedDirectIO(address: UInt(bitPattern: address), count: count, offset: offset)
    }
}
