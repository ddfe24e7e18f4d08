// One worker ring's pool of receive buffers, handed to the kernel as a provided-buffer
// ring (IORING_REGISTER_PBUF_RING, Linux 5.19): a multishot receive on a stream asks the
// kernel to pick a free buffer per CQE, so idle connections pin no memory of their own.
//
// liburing 2.3 has no io_uring_setup_buf_ring: the ring of buffer descriptors is mmap'd
// here (page-aligned, as the kernel requires) and registered with
// io_uring_register_buf_ring. The buffers live in a second mapping.
//
// Threads: the kernel consumes descriptors; only the owning driver's thread adds them
// (the ring tail has one producer). A consumer on another thread that is done with a
// buffer puts its id on `returned` (under a lock); the owner moves returned ids back into
// the ring at its next poll. Buffers are memory the kernel writes until their CQE; after
// it, until recycled, they belong to the stream that received them.
//
// Lifetime: each received chunk holds the pool strongly, so its memory outlives every
// reader; the driver unregisters the ring before the pool can go away.

import CLiburing
import Glibc
import Synchronization
import URingExecutor

final class ReceiveBufferPool: @unchecked Sendable {
    // @unchecked: `descriptors`, `registered` and `spareIDs` are touched only on the owner driver's
    // thread; the buffer bytes of one id are owned by one party at a time (kernel, then
    // the receiving stream, then the pool again); `returned` and the counters are
    // thread-safe.

    /// The buffer group id: one pool per ring, so one group.
    static let group: UInt16 = 0

    let count: Int
    let bufferSize: Int
    // Safety: both mappings are owned by this object and unmapped in deinit, which runs
    // only after the driver unregistered the ring and every chunk let go of the pool.
    private let descriptors: UnsafeMutablePointer<io_uring_buf_ring>
    private let descriptorBytes: Int
    private let buffers: UnsafeMutableRawPointer
    private let mask: Int32
    private let returned = ThreadLock<[UInt16]>([])
    /// The owner's empty array that trades places with `returned`'s (no copy, no alloc).
    private var spareIDs: [UInt16] = []
    private let hasReturned = Atomic<Bool>(false)
    private let inKernel = Atomic<Int>(0)
    private(set) var registered = false

    /// Maps `count` buffers of `bufferSize` bytes and fills the descriptor ring with all
    /// of them. `count` is a power of two in 1...32,768 (the kernel's limit).
    init(count: Int, bufferSize: Int) throws(Errno) {
        precondition(count > 0 && count <= 32_768 && count & (count - 1) == 0, "buffer count must be a power of two")
        precondition(bufferSize > 0 && bufferSize <= Int(UInt32.max), "buffer size out of range")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let ringBytes = (count * MemoryLayout<io_uring_buf>.stride + page - 1) / page * page
        // Safety: fresh anonymous mappings; failures are checked before any use.
        guard let ringMapping = mmap(nil, ringBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            ringMapping != MAP_FAILED
        else { throw Errno(rawValue: errno) }
        guard let bufferMapping = mmap(nil, count * bufferSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            bufferMapping != MAP_FAILED
        else {
            let error = Errno(rawValue: errno)
            munmap(ringMapping, ringBytes)
            throw error
        }
        // The kernel and this process share these pages; a forked child must not get a
        // copy-on-write copy of what the kernel writes.
        madvise(ringMapping, ringBytes, MADV_DONTFORK)
        madvise(bufferMapping, count * bufferSize, MADV_DONTFORK)
        self.count = count
        self.bufferSize = bufferSize
        self.descriptorBytes = ringBytes
        self.descriptors = ringMapping.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        self.buffers = bufferMapping
        self.mask = Int32(io_uring_buf_ring_mask(UInt32(count)))
        io_uring_buf_ring_init(descriptors)
        for id in 0..<count {
            io_uring_buf_ring_add(descriptors, buffers + id * bufferSize, UInt32(bufferSize), UInt16(id), mask, Int32(id))
        }
        io_uring_buf_ring_advance(descriptors, Int32(count))
        inKernel.store(count, ordering: .relaxed)
    }

    deinit {
        precondition(!registered, "Internal inconsistency: a provided-buffer pool freed while registered")
        munmap(UnsafeMutableRawPointer(descriptors), descriptorBytes)
        munmap(buffers, count * bufferSize)
    }

    /// Registers the descriptor ring with `ring` (owner thread).
    func register(with ring: inout Ring) throws(Errno) {
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: descriptors))
        registration.ring_entries = UInt32(count)
        registration.bgid = Self.group
        try ring.registerBufferRing(&registration)
        registered = true
    }

    /// Unregisters the descriptor ring (owner thread, once no receive is armed).
    func unregister(from ring: inout Ring) {
        guard registered else { return }
        ring.unregisterBufferRing(group: Self.group)
        registered = false
    }

    /// Buffers the kernel can still pick (approximate when read off the owner thread).
    var available: Int { inKernel.load(ordering: .relaxed) }

    /// Buffers held by streams or waiting to go back to the kernel.
    var inUse: Int { count - available }

    /// The bytes of buffer `id`.
    func bytes(_ id: UInt16) -> UnsafeMutableRawPointer {
        buffers + Int(id) * bufferSize
    }

    /// The kernel filled buffer `id` (a CQE with IORING_CQE_F_BUFFER; owner thread).
    func taken(_ id: UInt16) {
        precondition(Int(id) < count, "Internal inconsistency: the kernel picked buffer \(id) of \(count)")
        inKernel.subtract(1, ordering: .relaxed)
    }

    /// Gives buffer `id` back; any thread. The owner re-adds it to the ring at its next
    /// poll (`replenish`).
    func recycle(_ id: UInt16) {
        returned.withLock { $0.append(id) }
        hasReturned.store(true, ordering: .releasing)
    }

    /// Moves every returned buffer back into the ring (owner thread).
    func replenish() {
        guard hasReturned.load(ordering: .acquiring) else { return }
        hasReturned.store(false, ordering: .relaxed)
        var ids = spareIDs
        spareIDs = []
        returned.withLock { swap(&$0, &ids) }
        defer {
            ids.removeAll(keepingCapacity: true)
            spareIDs = ids
        }
        guard !ids.isEmpty else { return }
        for (offset, id) in ids.enumerated() {
            io_uring_buf_ring_add(descriptors, bytes(id), UInt32(bufferSize), id, mask, Int32(offset))
        }
        io_uring_buf_ring_advance(descriptors, Int32(ids.count))
        inKernel.add(ids.count, ordering: .relaxed)
    }
}

/// Received bytes in one provided buffer, owned by a stream until recycled.
struct ReceivedChunk: @unchecked Sendable {
    // @unchecked: the bytes belong to the stream that holds the chunk; the pool keeps
    // the memory mapped while the chunk exists.
    let pool: ReceiveBufferPool
    let id: UInt16
    /// Bytes still unread: `start..<end` within the buffer.
    var start: Int
    let end: Int

    var remaining: Int { end - start }

    func recycle() { pool.recycle(id) }
}

/// The shape of each worker ring's receive buffer pool, from which multishot stream
/// receives take their buffers (`URingRuntime.Configuration.receiveBufferPool`).
public struct ReceiveBufferPoolConfiguration: Sendable, Equatable {
    /// Buffers per ring: a power of two up to 32,768; 0 turns multishot receives off.
    public var count: Int
    /// Bytes per buffer.
    public var bufferSize: Int

    /// A pool of `count` buffers of `bufferSize` bytes per worker ring (256 × 16 KiB by
    /// default, 4 MiB per worker). Checked when the runtime starts: an invalid shape makes
    /// `URingRuntime.init` throw `URingError.invalidArgument`.
    public init(count: Int = 256, bufferSize: Int = 16 * 1024) {
        self.count = count
        self.bufferSize = bufferSize
    }

    /// Why these values cannot be used, or nil.
    var invalidReason: String? {
        if count < 0 || count > 32_768 || (count > 0 && count & (count - 1) != 0) {
            return "receive buffer count must be 0 or a power of two up to 32768, not \(count)"
        }
        if count > 0 && (bufferSize < 1 || bufferSize > 1 << 30) {
            return "receive buffer size must be 1...\(1 << 30) bytes, not \(bufferSize)"
        }
        return nil
    }
}
