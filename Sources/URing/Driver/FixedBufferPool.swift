// Fixed buffers (IORING_REGISTER_BUFFERS, READ_FIXED/WRITE_FIXED): a runtime-wide pool of
// page-aligned buffers that every worker's ring registers, at the same indexes, when it
// is set up on its thread. A task may run on any worker, so the same buffer must mean
// the same index on every ring; one mapping registered everywhere gives that.
//
// Use is by address: `File.read(into:at:)` and `File.write(_:at:)` on memory inside one
// of the pool's buffers are prepared as READ_FIXED/WRITE_FIXED by a driver whose ring
// holds the registration (`FixedBufferRegion.index(of:)`), and as plain READ/WRITE of
// the same memory everywhere else: a ring that refused the registration (the emulated
// backend, a kernel out of locked memory), a caller on a thread that is not a worker
// (its operation is prepared on a worker of whichever runtime serves it, which checks
// against its own region), memory that is not the pool's. The result is the same either
// way; only the kernel's per-call page pinning differs.
//
// Lifetime: the mapping belongs to the pool. Every driver whose ring registered it and
// every leased FixedBuffer holds the pool, so the memory outlives both the kernel's
// registration (dropped when the ring closes) and any operation in flight on it (its
// caller holds the buffer while it awaits).

import Glibc
import Synchronization
import URingExecutor

/// The shape of a runtime's fixed-buffer pool (`URingRuntime.Configuration.fixedBuffers`).
public struct FixedBufferConfiguration: Sendable, Equatable {
    /// How many buffers: 1...16,384 (the kernel's limit per ring).
    public var count: Int
    /// Bytes per buffer: a multiple of 4096 (so each buffer suits O_DIRECT), at most 1 GiB.
    public var bufferSize: Int

    /// `count` buffers of `bufferSize` bytes, registered with every worker ring. Checked
    /// when the runtime starts: an invalid shape makes `URingRuntime.init` throw
    /// `URingError.invalidArgument`. The pool's memory (`count × bufferSize`) is mapped
    /// once per runtime and pinned by the kernel while registered.
    public init(count: Int, bufferSize: Int) {
        self.count = count
        self.bufferSize = bufferSize
    }

    /// Why these values cannot be used, or nil.
    var invalidReason: String? {
        guard (1...FixedBufferPool.maximumCount).contains(count) else {
            return "fixed buffer count must be 1...\(FixedBufferPool.maximumCount), not \(count)"
        }
        guard bufferSize > 0, bufferSize % 4096 == 0, bufferSize <= 1 << 30 else {
            return "fixed buffer size must be a multiple of 4096 up to \(1 << 30) bytes, not \(bufferSize)"
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: bufferSize)
        guard !overflow, total <= IOBuffer.physicalMemory else {
            return "fixed buffers of \(count) × \(bufferSize) bytes need more memory than this machine has"
        }
        return nil
    }
}

/// A runtime's fixed buffers: memory every worker ring registered with the kernel, so a
/// read or write into one of them skips the per-call pinning of the user pages
/// (READ_FIXED/WRITE_FIXED). Lease one with `take()`, then pass its `bytes` (or a part)
/// to `File.read(into:at:)` or `File.write(_:at:)` from a task on that runtime.
///
/// ```swift
/// var configuration = URingRuntime.Configuration(workers: 2)
/// configuration.fixedBuffers = FixedBufferConfiguration(count: 64, bufferSize: 64 * 1024)
/// let runtime = try URingRuntime(configuration)
/// try runtime.run {
///     guard let buffer = runtime.fixedBuffers?.take() else { return }
///     let file = try await File.open("/data/file", .readOnly)
///     let count = try await file.read(into: buffer.bytes, at: 0)  // READ_FIXED
///     try await file.close()
/// }
/// ```
///
/// Calls on memory of the pool work wherever they run: a worker whose ring could not
/// register the pool (the fallback backend, a kernel refusing the locked memory), or a
/// caller that is not on one of the runtime's workers, does a plain read or write of
/// the same memory. `isRegistered` says whether every ring took the registration, and
/// `DriverStatistics.fixedBufferOperations` counts the operations that used it.
public final class FixedBufferPool: Sendable {
    /// The kernel's limit on registered buffers per ring (IORING_MAX_REG_BUFFERS).
    static let maximumCount = 16_384

    /// How many buffers the pool has.
    public let count: Int
    /// Bytes per buffer (a multiple of 4096; every buffer starts on a page boundary).
    public let bufferSize: Int
    /// The rings this pool is meant for (the runtime's workers).
    private let rings: Int
    /// Where the mapping lies (kept as an address: a raw pointer is not Sendable).
    let region: FixedBufferRegion
    private let free: ThreadLock<[Int]>
    private let ringsRegistered = Atomic<Int>(0)
    private let refusal = ThreadLock<Errno?>(nil)

    /// Maps the buffers (zeroed, the first on a huge-page boundary). The runtime makes the
    /// pool before its workers start; each worker's ring registers it.
    init(_ configuration: FixedBufferConfiguration, rings: Int) throws(Errno) {
        count = configuration.count
        bufferSize = configuration.bufferSize
        self.rings = rings
        // Safety: a fresh anonymous mapping, on a huge-page boundary and advised for huge
        // pages (physically contiguous buffers: see HugePageMemory), unmapped in deinit.
        let mapping = try HugePageMemory.map(byteCount: count * bufferSize)
        region = FixedBufferRegion(start: UInt(bitPattern: mapping), bufferSize: bufferSize, count: count)
        // Handed out from the end: buffer 0 first.
        free = ThreadLock(Array((0..<count).reversed()))
    }

    /// One anonymous mapping owned by this object, unmapped in deinit, which runs only
    /// when no driver (hence no ring registration) and no leased buffer remains.
    private var base: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: region.start)! }

    deinit { HugePageMemory.unmap(base, byteCount: count * bufferSize) }

    /// Leases a free buffer; nil when every buffer is leased. The buffer returns to the
    /// pool when the `FixedBuffer` is released.
    public func take() -> FixedBuffer? {
        guard let index = free.withLock({ $0.popLast() }) else { return nil }
        return FixedBuffer(pool: self, index: index)
    }

    /// Buffers not leased right now.
    public var available: Int { free.withLock { $0.count } }

    /// Whether every worker ring registered the pool, so every call on its memory from a
    /// task on one of the runtime's workers is a READ_FIXED or WRITE_FIXED. False on the
    /// fallback backend and when the kernel refused (see `registrationError`); calls then
    /// read and write the same memory the plain way.
    public var isRegistered: Bool { ringsRegistered.load(ordering: .acquiring) == rings }

    /// The kernel's error for the first ring that refused the registration (ENOMEM when
    /// locked memory ran out, EINVAL on the emulated backend), or nil.
    public var registrationError: Errno? { refusal.withLock { $0 } }

    /// The iovecs to register: every buffer, in index order.
    var buffers: [UnsafeMutableRawBufferPointer] {
        (0..<count).map { UnsafeMutableRawBufferPointer(start: base + $0 * bufferSize, count: bufferSize) }
    }

    /// A ring registered the pool (called on its worker thread during start-up).
    func ringRegistered() { ringsRegistered.add(1, ordering: .releasing) }

    /// A ring refused the pool with `error`.
    func ringRefused(_ error: Errno) { refusal.withLock { if $0 == nil { $0 = error } } }

    fileprivate func giveBack(_ index: Int) { free.withLock { $0.append(index) } }

    fileprivate func bytes(of index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + index * bufferSize, count: bufferSize)
    }
}

/// One buffer of a `FixedBufferPool`, leased until this object is released. Not
/// Sendable, like `AlignedBuffer`: one task uses it at a time.
public final class FixedBuffer {
    /// The buffer's memory: `bufferSize` bytes starting on a page boundary, valid while
    /// this object is alive. Zeroed when the pool was made; a buffer taken again keeps
    /// what its previous holder left in it.
    public let bytes: UnsafeMutableRawBufferPointer
    /// Its index in the pool (the `buf_index` of its READ_FIXED/WRITE_FIXED SQEs).
    public let index: Int
    private let pool: FixedBufferPool

    fileprivate init(pool: FixedBufferPool, index: Int) {
        self.pool = pool
        self.index = index
        bytes = pool.bytes(of: index)
    }

    deinit { pool.giveBack(index) }
}

/// Where a ring's registered fixed buffers lie, for the drivers' prepare step: one
/// range check per read or write. `none` for a ring with no registration.
struct FixedBufferRegion: Sendable {
    let start: UInt
    let end: UInt
    let bufferSize: UInt

    static let none = FixedBufferRegion(start: 0, bufferSize: 1, count: 0)

    init(start: UInt, bufferSize: Int, count: Int) {
        self.start = start
        self.bufferSize = UInt(bufferSize)
        end = start + UInt(bufferSize * count)
    }

    /// The index of the registered buffer that wholly contains `count` bytes at
    /// `address`, or nil (the operation then uses the plain opcode).
    @inline(__always)
    func index(of address: UnsafeRawPointer?, count: Int) -> UInt16? {
        let address = UInt(bitPattern: address)
        guard address >= start, address < end, count > 0 else { return nil }
        let index = (address - start) / bufferSize
        guard address + UInt(count) <= start + (index + 1) * bufferSize else { return nil }
        return UInt16(truncatingIfNeeded: index)
    }
}
