// A user-space stand-in for io_uring, for processes where io_uring is blocked (Docker's
// default seccomp profile, kernel.io_uring_disabled, old kernels).
//
// The Ring keeps its API: `nextEntry()` hands out SQEs exactly as with a kernel ring,
// because the emulator builds an `io_uring` struct whose SQ pointers lead to memory it
// owns (EmulatedQueues; liburing's inline io_uring_get_sqe, io_uring_sq_ready and
// io_uring_sq_space_left work unchanged, with no branch on the fast path). At each
// enter the emulator takes the prepared SQEs and interprets them by opcode
// (RingEmulator+Operations), only the opcodes the runtime submits (Opcode.usedByRuntime):
// - Regular files and block devices (READ/WRITE/READV/WRITEV, FSYNC, FALLOCATE, OPENAT,
//   STATX, UNLINKAT, RENAMEAT, MKDIRAT) run on `BlockingPool` threads; a READ first
//   tries preadv2(RWF_NOWAIT), which a page-cache hit completes inline.
// - Everything else waits for readiness with epoll on the owner thread, then makes the
//   call without blocking (RingEmulator+Readiness): MSG_DONTWAIT for recv/send/recvmsg/
//   sendmsg, RWF_NOWAIT for read/write on pipes and eventfds, and O_NONBLOCK set on
//   sockets before accept4/connect (accept4 has no per-call flag, and a blocking connect
//   would stall the worker). Accepted sockets keep the flags the caller asked for.
// - NOP, CLOSE, SHUTDOWN and ASYNC_CANCEL run inline (RingEmulator+Cancellation);
//   TIMEOUT and LINK_TIMEOUT (relative, CLOCK_MONOTONIC) are deadlines in a heap the
//   owner checks (RingEmulator+Timers). IO_LINK chains run in order; anything else the
//   runtime never submits (hard links, absolute or other clocks, poll, timeout removal)
//   completes with -EINVAL, as a kernel that lacked it would answer.
//
// Completions go to the Ring's backlog (unbounded, in order); CQE results mirror the
// kernel's: a cancelled operation gets -ECANCELED and the cancel 0, a running pool call
// makes the cancel -EALREADY, an unknown target -ENOENT; a linked timeout that fires
// gets -ETIME (or the cancel's error) and its operation -ECANCELED; a linked timeout
// whose operation finished first gets -ECANCELED.
//
// Threads: everything here runs on the ring's owner thread, except `PoolJob`s, which
// report through the `EmulatorInbox` (a lock and an eventfd in the epoll set).

import CLiburing
import Glibc
import URingExecutor

final class RingEmulator {
    /// The opcodes `start` implements (what a probe of an emulated ring reports).
    static let implementedOpcodes: [Opcode] = Opcode.usedByRuntime

    let entries: UInt32
    let epollFD: Int32
    let inbox: EmulatorInbox
    let owner: pthread_t?
    /// The fake SQ and CQ the Ring's io_uring struct points at.
    let queues: EmulatedQueues
    // Safety: scratch space for epoll_wait results, owned like `words`.
    let events: UnsafeMutableRawPointer
    private static let eventCapacity: Int32 = 64
    private static let inboxMarker = UInt64.max

    var nextID: UInt64 = 1
    var operations: [UInt64: EmulatedOperation] = [:]
    var waiters: [Int32: FDWaiters] = [:]
    var timers = BinaryHeap<EmulatedTimer>()
    var ready: [Completion] = []
    var inboxResults: [(operationID: UInt64, result: Int32)] = []

    /// The operations waiting on one fd. Registrations are EPOLLONESHOT: each fires
    /// once and is re-armed for whoever still waits, so a registration that outlives
    /// its fd (closed behind the ring's back while another process holds the file)
    /// cannot fire forever.
    struct FDWaiters {
        var operations: [UInt64] = []
        /// The events armed in the epoll set (0: disarmed or absent).
        var armed: UInt32 = 0
        /// Whether the fd is in the epoll set (armed or not).
        var present = false
    }

    /// Builds the emulator and points `ring`'s queues at its memory.
    init(ring: UnsafeMutablePointer<io_uring>, entries requested: UInt32, singleIssuer: Bool) throws(Errno) {
        var entries: UInt32 = 1
        while entries < max(requested, 1) && entries < 32_768 { entries <<= 1 }
        self.entries = entries
        let epoll = EmulatedSystemCalls.epollCreate()
        guard epoll >= 0 else { throw Errno(rawValue: errno) }
        let inbox: EmulatorInbox
        do throws(Errno) {
            inbox = try EmulatorInbox()
        } catch {
            close(epoll)
            throw error
        }
        guard
            EmulatedSystemCalls.epollControl(
                epoll, EmulatedSystemCalls.epollAdd, inbox.eventFD, events: EmulatedSystemCalls.epollIn,
                data: Self.inboxMarker) == 0
        else {
            let error = Errno(rawValue: errno)
            close(epoll)
            throw error
        }
        self.epollFD = epoll
        self.inbox = inbox
        self.owner = singleIssuer ? pthread_self() : nil
        queues = EmulatedQueues(entries: entries)
        queues.attach(to: ring)
        events = .allocate(byteCount: Int(Self.eventCapacity) * EmulatedSystemCalls.epollEventSize, alignment: 8)
    }

    /// Releases everything; queued pool calls never run (running ones finish into the
    /// inbox, which they keep alive).
    func tearDown() {
        for operation in operations.values {
            if case .pool(let job) = operation.state { _ = job.cancel() }
        }
        operations.removeAll()
        close(epollFD)
        queues.deallocate()
        events.deallocate()
    }

    // MARK: io_uring_enter

    /// Takes every prepared SQE, then makes progress without blocking, or, with
    /// `minCompletions` > 0, until a completion is ready (counting `alreadyReady`),
    /// `timeout` passes, or a signal arrives. Returns the SQEs taken, or -errno.
    func enter(
        ring: UnsafeMutablePointer<io_uring>, minCompletions: UInt32, timeout: Duration?, alreadyReady: Int,
        into backlog: inout [Completion]
    ) -> Int32 {
        if let owner, pthread_equal(owner, pthread_self()) == 0 {
            return -EEXIST  // SINGLE_ISSUER: as the kernel answers another thread.
        }
        let submitted = takeSubmissions(ring)
        makeProgress(timeoutMilliseconds: 0)
        if minCompletions > 0 {
            let end = timeout.map { Self.now() + $0.saturatingNonNegativeNanoseconds }
            while ready.count + alreadyReady < Int(minCompletions) {
                let now = Self.now()
                var wait: UInt64? = end.map { $0 > now ? $0 - now : 0 }
                if let next = timers.min?.deadline { wait = min(wait ?? .max, next > now ? next - now : 0) }
                if let end, now >= end { break }
                // Round up: waking a little late is harmless, waking early spins.
                let milliseconds = wait.map { Int32(clamping: ($0 + 999_999) / 1_000_000) } ?? -1
                if !makeProgress(timeoutMilliseconds: milliseconds) { break }
            }
        }
        backlog.append(contentsOf: ready)
        ready.removeAll(keepingCapacity: true)
        return Int32(clamping: submitted)
    }

    /// Progress without blocking, for `reap` (the kernel posts CQEs on its own).
    func poll(into backlog: inout [Completion]) {
        makeProgress(timeoutMilliseconds: 0)
        backlog.append(contentsOf: ready)
        ready.removeAll(keepingCapacity: true)
    }

    func takeSubmissions(_ ring: UnsafeMutablePointer<io_uring>) -> Int {
        let head = queues.submissionHead
        let tail = ring.pointee.sq.sqe_tail
        var index = head
        var chain: [io_uring_sqe] = []
        while index != tail {
            let sqe = queues.entry(at: index)
            index &+= 1
            chain.append(sqe)
            if sqe.flags & CURING_IOSQE_IO_LINK == 0 {
                startChain(chain[...])
                chain.removeAll(keepingCapacity: true)
            }
        }
        // A chain still open at the end of a submission ends there, as in the kernel.
        if !chain.isEmpty { startChain(chain[...]) }
        queues.submissionHead = tail
        ring.pointee.sq.sqe_head = tail
        return Int(tail &- head)
    }

    // MARK: Progress

    /// One epoll_wait (0: just look), then whatever became ready and every due timer.
    /// False when a signal interrupted the wait.
    @discardableResult
    func makeProgress(timeoutMilliseconds: Int32) -> Bool {
        let count = EmulatedSystemCalls.epollWait(
            epollFD, events, capacity: Self.eventCapacity, timeoutMilliseconds: timeoutMilliseconds)
        let interrupted = count < 0 && errno == EINTR
        if count > 0 {
            for index in 0..<Int(count) {
                let (bits, data) = EmulatedSystemCalls.epollEvent(in: events, at: index)
                if data == Self.inboxMarker {
                    drainInbox()
                } else {
                    fdBecameReady(Int32(truncatingIfNeeded: data), events: bits)
                }
            }
        }
        fireDueTimers()
        return !interrupted
    }

    func drainInbox() {
        inbox.drain(into: &inboxResults)
        for (id, result) in inboxResults {
            guard let operation = operations[id] else { continue }
            finish(operation, result: result)
        }
        inboxResults.removeAll(keepingCapacity: true)
    }

    // MARK: Clock

    /// CLOCK_MONOTONIC in nanoseconds.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
