// A user-space stand-in for io_uring, for processes where io_uring is blocked (Docker's
// default seccomp profile, kernel.io_uring_disabled, old kernels).
//
// The Ring keeps its API: `nextEntry()` hands out SQEs exactly as with a kernel ring,
// because the emulator builds an `io_uring` struct whose SQ pointers lead to memory it
// owns (so liburing's inline io_uring_get_sqe, io_uring_sq_ready and
// io_uring_sq_space_left work unchanged, with no branch on the fast path). At each
// enter the emulator takes the prepared SQEs and interprets them by opcode:
//
// - Regular files and block devices (READ/WRITE/READV/WRITEV, FSYNC, FALLOCATE, OPENAT,
//   STATX, UNLINKAT, RENAMEAT, MKDIRAT) run on `BlockingPool` threads; a READ first
//   tries preadv2(RWF_NOWAIT), which a page-cache hit completes inline.
// - Everything else waits for readiness with epoll on the owner thread, then makes the
//   call without blocking: MSG_DONTWAIT for recv/send/recvmsg/sendmsg, RWF_NOWAIT for
//   read/write on pipes and eventfds, and O_NONBLOCK set on sockets before
//   accept4/connect (accept4 has no per-call flag, and a blocking connect would stall
//   the worker). Accepted sockets keep the flags the caller asked for.
// - NOP, CLOSE, SHUTDOWN, ASYNC_CANCEL, TIMEOUT_REMOVE and POLL_REMOVE run inline;
//   TIMEOUT and LINK_TIMEOUT are deadlines in a heap the owner checks.
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
    private let inbox: EmulatorInbox
    private let owner: pthread_t?
    // Safety: the fake rings' memory, allocated in init and freed in `tearDown`; the
    // Ring's io_uring struct points into it for the Ring's whole life.
    private let words: UnsafeMutablePointer<UInt32>
    private let sqes: UnsafeMutablePointer<io_uring_sqe>
    private let sqArray: UnsafeMutablePointer<UInt32>
    private let cqes: UnsafeMutablePointer<io_uring_cqe>
    // Safety: scratch space for epoll_wait results, owned like `words`.
    private let events: UnsafeMutableRawPointer
    private static let eventCapacity: Int32 = 64
    private static let inboxMarker = UInt64.max

    private var nextID: UInt64 = 1
    private var operations: [UInt64: EmulatedOperation] = [:]
    private var waiters: [Int32: FDWaiters] = [:]
    private var timers = DeadlineHeap()
    private var ready: [Completion] = []
    private var inboxResults: [(operationID: UInt64, result: Int32)] = []

    /// The operations waiting on one fd. Registrations are EPOLLONESHOT: each fires
    /// once and is re-armed for whoever still waits, so a registration that outlives
    /// its fd (closed behind the ring's back while another process holds the file)
    /// cannot fire forever.
    private struct FDWaiters {
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
        words = .allocate(capacity: 16)
        words.initialize(repeating: 0, count: 16)
        sqes = .allocate(capacity: Int(entries))
        sqes.initialize(repeating: io_uring_sqe(), count: Int(entries))
        sqArray = .allocate(capacity: Int(entries))
        sqArray.initialize(repeating: 0, count: Int(entries))
        cqes = .allocate(capacity: 1)
        cqes.initialize(to: io_uring_cqe())
        events = .allocate(byteCount: Int(Self.eventCapacity) * EmulatedSystemCalls.epollEventSize, alignment: 8)

        words[2] = entries - 1
        words[3] = entries
        words[8] = 0
        words[9] = entries * 2
        var uring = io_uring()
        uring.sq.khead = words
        uring.sq.ktail = words + 1
        uring.sq.kring_mask = words + 2
        uring.sq.kring_entries = words + 3
        uring.sq.kflags = words + 4
        uring.sq.kdropped = words + 5
        uring.sq.array = sqArray
        uring.sq.sqes = sqes
        uring.sq.ring_mask = entries - 1
        uring.sq.ring_entries = entries
        uring.cq.khead = words + 6
        uring.cq.ktail = words + 7
        uring.cq.kring_mask = words + 8
        uring.cq.kring_entries = words + 9
        uring.cq.kflags = words + 10
        uring.cq.koverflow = words + 11
        uring.cq.cqes = cqes
        // The CQ stays empty (completions go to the Ring's backlog), so one entry suffices.
        uring.cq.ring_mask = 0
        uring.cq.ring_entries = entries * 2
        uring.ring_fd = -1
        uring.enter_ring_fd = -1
        ring.pointee = uring
    }

    /// Releases everything; queued pool calls never run (running ones finish into the
    /// inbox, which they keep alive).
    func tearDown() {
        for operation in operations.values {
            if case .pool(let job) = operation.state { _ = job.cancel() }
        }
        operations.removeAll()
        close(epollFD)
        words.deallocate()
        sqes.deallocate()
        sqArray.deallocate()
        cqes.deallocate()
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
            let end = timeout.map { Self.now() &+ Self.nanoseconds($0) }
            while ready.count + alreadyReady < Int(minCompletions) {
                let now = Self.now()
                var wait: UInt64? = end.map { $0 > now ? $0 - now : 0 }
                if let next = timers.earliest { wait = min(wait ?? .max, next > now ? next - now : 0) }
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

    private func takeSubmissions(_ ring: UnsafeMutablePointer<io_uring>) -> Int {
        let head = words[0]
        let tail = ring.pointee.sq.sqe_tail
        var index = head
        var chain: [io_uring_sqe] = []
        while index != tail {
            let sqe = sqes[Int(index & (entries - 1))]
            index &+= 1
            chain.append(sqe)
            if sqe.flags & (CURING_IOSQE_IO_LINK | CURING_IOSQE_IO_HARDLINK) == 0 {
                startChain(chain[...])
                chain.removeAll(keepingCapacity: true)
            }
        }
        // A chain still open at the end of a submission ends there, as in the kernel.
        if !chain.isEmpty { startChain(chain[...]) }
        words[0] = tail
        ring.pointee.sq.sqe_head = tail
        return Int(tail &- head)
    }

    // MARK: Progress

    /// One epoll_wait (0: just look), then whatever became ready and every due timer.
    /// False when a signal interrupted the wait.
    @discardableResult
    private func makeProgress(timeoutMilliseconds: Int32) -> Bool {
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

    private func drainInbox() {
        inbox.drain(into: &inboxResults)
        for (id, result) in inboxResults {
            guard let operation = operations[id] else { continue }
            finish(operation, result: result)
        }
        inboxResults.removeAll(keepingCapacity: true)
    }

    // MARK: Starting operations

    private func makeOperation(_ sqe: io_uring_sqe) -> EmulatedOperation {
        defer { nextID &+= 1 }
        return EmulatedOperation(id: nextID, sqe: sqe)
    }

    /// Starts the first SQE of a chain; a LINK_TIMEOUT right behind it guards it, and
    /// the rest starts only if it succeeds.
    private func startChain(_ chain: ArraySlice<io_uring_sqe>) {
        guard let first = chain.first else { return }
        let operation = makeOperation(first)
        var rest = chain.dropFirst()
        if let next = rest.first, next.opcode == Opcode.linkTimeout.rawValue {
            rest = rest.dropFirst()
            let guardTimer = makeOperation(next)
            guard let deadline = deadline(of: next) else {
                post(guardTimer.userData, -EINVAL)
                post(first.user_data, -ECANCELED)
                failChain(rest, result: -ECANCELED)
                return
            }
            guardTimer.guarded = operation.id
            operation.linkTimeout = guardTimer.id
            operations[guardTimer.id] = guardTimer
            arm(guardTimer, at: deadline)
        }
        operation.chain = Array(rest)
        operation.hardLink = first.flags & CURING_IOSQE_IO_HARDLINK != 0
        operations[operation.id] = operation
        start(operation)
    }

    private func failChain(_ chain: ArraySlice<io_uring_sqe>, result: Int32) {
        for sqe in chain { post(sqe.user_data, result) }
    }

    private func start(_ operation: EmulatedOperation) {
        let sqe = operation.sqe
        if sqe.flags & CURING_IOSQE_FIXED_FILE != 0 {
            // No file table is registered on an emulated ring.
            return finish(operation, result: -EBADF)
        }
        if sqe.flags & CURING_IOSQE_BUFFER_SELECT != 0 {
            // No provided buffers exist on an emulated ring (registration fails).
            return finish(operation, result: -ENOBUFS)
        }
        switch Opcode(rawValue: sqe.opcode) {
        case .nop:
            finish(operation, result: 0)
        case .timeout:
            guard sqe.off == 0, sqe.timeout_flags & IORING_TIMEOUT_UPDATE_MASK == 0, let deadline = deadline(of: sqe)
            else { return finish(operation, result: -EINVAL) }
            arm(operation, at: deadline)
        case .linkTimeout:
            // Only valid right behind a linked SQE (handled in startChain).
            finish(operation, result: -EINVAL)
        case .timeoutRemove:
            guard sqe.timeout_flags == 0 else { return finish(operation, result: -EINVAL) }
            finish(operation, result: cancel(userData: sqe.addr, all: false, only: .timeout))
        case .asyncCancel:
            guard sqe.cancel_flags & ~IORING_ASYNC_CANCEL_ALL == 0 else { return finish(operation, result: -EINVAL) }
            let all = sqe.cancel_flags & IORING_ASYNC_CANCEL_ALL != 0
            finish(operation, result: cancel(userData: sqe.addr, all: all, only: nil))
        case .pollRemove:
            finish(operation, result: cancel(userData: sqe.addr, all: false, only: .pollAdd))
        case .close:
            dropWaiters(on: sqe.fd)
            finish(operation, result: close(sqe.fd) == 0 ? 0 : -errno)
        case .shutdown:
            finish(operation, result: EmulatedCalls.shutdownSocket(sqe.fd, how: Int32(bitPattern: sqe.len)))
        case .openat, .statx, .unlinkat, .renameat, .mkdirat, .fsync, .fallocate:
            runOnPool(operation)
        case .read, .write, .readv, .writev:
            if Self.isRegularFileOrBlockDevice(sqe.fd) {
                if operation.opcode == .read || operation.opcode == .readv, let result = EmulatedCalls.cachedRead(sqe) {
                    return finish(operation, result: result)
                }
                runOnPool(operation)
            } else {
                attemptOrWait(operation)
            }
        case .recv:
            if sqe.ioprio & UInt16(IORING_RECV_MULTISHOT) != 0 { return finish(operation, result: -EINVAL) }
            attemptOrWait(operation)
        case .pollAdd:
            if sqe.len & IORING_POLL_ADD_MULTI != 0 { return finish(operation, result: -EINVAL) }
            attemptOrWait(operation)
        case .send, .recvmsg, .sendmsg, .accept:
            attemptOrWait(operation)
        case .connect:
            operation.connectStarted = false
            attemptOrWait(operation)
        default:
            // What the kernel answers for an opcode it does not know.
            finish(operation, result: -EINVAL)
        }
    }

    private static func isRegularFileOrBlockDevice(_ fd: Int32) -> Bool {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return true }  // EBADF etc.: the pool call reports it.
        let type = status.st_mode & S_IFMT
        return type == S_IFREG || type == S_IFBLK
    }

    private func runOnPool(_ operation: EmulatedOperation) {
        let job = PoolJob(operationID: operation.id, inbox: inbox, work: EmulatedCalls.blockingCall(operation.sqe))
        operation.state = .pool(job)
        BlockingPool.shared.submit(job)
    }

    // MARK: Readiness

    private func attemptOrWait(_ operation: EmulatedOperation) {
        while true {
            switch EmulatedCalls.attempt(operation) {
            case .done(let result):
                return finish(operation, result: result)
            case .more(let result):
                post(operation.userData, result, flags: IORING_CQE_F_MORE)
            case .wouldBlock(let wanted):
                return wait(operation, for: wanted)
            }
        }
    }

    private func wait(_ operation: EmulatedOperation, for wanted: UInt32) {
        let fd = operation.sqe.fd
        operation.state = .waiting(events: wanted)
        waiters[fd, default: FDWaiters()].operations.append(operation.id)
        updateInterest(fd)
    }

    private func fdBecameReady(_ fd: Int32, events ready: UInt32) {
        guard let entry = waiters[fd] else { return }
        waiters[fd]?.armed = 0  // EPOLLONESHOT: this registration is spent.
        // An error or hang-up concerns every waiter (its call will report it), whatever
        // it waits for.
        let always = EmulatedSystemCalls.epollError | EmulatedSystemCalls.epollHangUp
        for id in entry.operations {
            guard let operation = operations[id], case .waiting(let wanted) = operation.state,
                wanted & ready != 0 || ready & always != 0
            else { continue }
            operation.state = .starting
            removeWaiter(id, fd: fd)
            attemptOrWait(operation)
        }
        updateInterest(fd)
    }

    private func removeWaiter(_ id: UInt64, fd: Int32) {
        waiters[fd]?.operations.removeAll { $0 == id }
    }

    /// Arms, re-arms or removes `fd` in the epoll set to match its waiters.
    private func updateInterest(_ fd: Int32) {
        guard var entry = waiters[fd] else { return }
        var wanted: UInt32 = 0
        for id in entry.operations {
            if let operation = operations[id], case .waiting(let events) = operation.state { wanted |= events }
        }
        if wanted == 0 {
            if entry.present {
                _ = EmulatedSystemCalls.epollControl(epollFD, EmulatedSystemCalls.epollDelete, fd, events: 0, data: 0)
            }
            waiters[fd] = nil
            return
        }
        if wanted == entry.armed { return }
        let events = wanted | EmulatedSystemCalls.epollOneShot
        let data = UInt64(UInt32(bitPattern: fd))
        var status = EmulatedSystemCalls.epollControl(
            epollFD, entry.present ? EmulatedSystemCalls.epollModify : EmulatedSystemCalls.epollAdd, fd,
            events: events, data: data)
        if status != 0 && (errno == ENOENT || errno == EEXIST) {
            // The set and this record disagree (the fd was closed and its number reused):
            // the other operation does it.
            status = EmulatedSystemCalls.epollControl(
                epollFD, errno == ENOENT ? EmulatedSystemCalls.epollAdd : EmulatedSystemCalls.epollModify, fd,
                events: events, data: data)
        }
        if status != 0 {
            // Not pollable (or gone): every waiter ends with the error.
            let error = -errno
            waiters[fd] = nil
            for id in entry.operations {
                if let operation = operations[id] { finish(operation, result: error) }
            }
            return
        }
        entry.armed = wanted
        entry.present = true
        waiters[fd] = entry
    }

    /// A CLOSE through the ring: operations still waiting on the fd end (-ECANCELED)
    /// and the fd leaves the epoll set before its number can be reused.
    private func dropWaiters(on fd: Int32) {
        guard let entry = waiters[fd] else { return }
        waiters[fd] = nil
        if entry.present {
            _ = EmulatedSystemCalls.epollControl(epollFD, EmulatedSystemCalls.epollDelete, fd, events: 0, data: 0)
        }
        for id in entry.operations {
            if let operation = operations[id] { finish(operation, result: -ECANCELED) }
        }
    }

    // MARK: Timers

    private func deadline(of sqe: io_uring_sqe) -> UInt64? {
        guard let pointer = UnsafePointer<__kernel_timespec>(bitPattern: UInt(sqe.addr)) else { return nil }
        let time = pointer.pointee
        guard time.tv_sec >= 0, time.tv_nsec >= 0, time.tv_nsec < 1_000_000_000 else { return nil }
        let value = (Duration.seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)).saturatingNonNegativeNanoseconds
        guard sqe.timeout_flags & IORING_TIMEOUT_ABS != 0 else { return Self.now() &+ value }
        // An absolute time on the clock the flags name, moved onto CLOCK_MONOTONIC.
        let clock: clockid_t
        switch sqe.timeout_flags & IORING_TIMEOUT_CLOCK_MASK {
        case IORING_TIMEOUT_BOOTTIME: clock = CLOCK_BOOTTIME
        case IORING_TIMEOUT_REALTIME: clock = CLOCK_REALTIME
        case 0: return value
        default: return nil
        }
        let clockNow = Self.now(clock)
        return value > clockNow ? Self.now() &+ (value - clockNow) : Self.now()
    }

    private func arm(_ operation: EmulatedOperation, at deadline: UInt64) {
        operation.state = .timer(deadline: deadline)
        timers.insert(deadline: deadline, id: operation.id)
    }

    private func fireDueTimers() {
        let now = Self.now()
        while let (deadline, id) = timers.popDue(now: now) {
            guard let operation = operations[id], case .timer(let armed) = operation.state, armed == deadline else {
                continue
            }
            if operation.opcode == .linkTimeout {
                operations[id] = nil
                operation.state = .finished
                var result = -ETIME
                if let target = operation.guarded.flatMap({ operations[$0] }) {
                    target.linkTimeout = nil
                    let cancelled = cancel(target)
                    if cancelled != 0 { result = cancelled }
                }
                post(operation.userData, result)
            } else {
                finish(operation, result: -ETIME)
            }
        }
    }

    // MARK: Cancellation

    /// ASYNC_CANCEL, TIMEOUT_REMOVE, POLL_REMOVE: 0 if something was cancelled,
    /// -EALREADY if it is running, -ENOENT if nothing matches.
    private func cancel(userData: UInt64, all: Bool, only opcode: Opcode?) -> Int32 {
        let matches = operations.values.filter { operation in
            operation.userData == userData && operation.isCancellable && (opcode == nil || operation.opcode == opcode)
        }.sorted { $0.id < $1.id }
        guard !matches.isEmpty else { return -ENOENT }
        if all {
            var cancelled: Int32 = 0
            for operation in matches where cancel(operation) == 0 { cancelled += 1 }
            return cancelled > 0 ? cancelled : -EALREADY
        }
        return cancel(matches[0])
    }

    /// Ends `operation` with -ECANCELED unless a pool thread is already running it.
    private func cancel(_ operation: EmulatedOperation) -> Int32 {
        switch operation.state {
        case .waiting:
            removeWaiter(operation.id, fd: operation.sqe.fd)
            finish(operation, result: -ECANCELED)
            updateInterest(operation.sqe.fd)
            return 0
        case .timer:
            finish(operation, result: -ECANCELED)
            return 0
        case .pool(let job):
            guard job.cancel() else { return -EALREADY }
            finish(operation, result: -ECANCELED)
            return 0
        case .starting, .finished:
            return -EALREADY
        }
    }

    // MARK: Completion

    private func finish(_ operation: EmulatedOperation, result: Int32) {
        guard operations.removeValue(forKey: operation.id) != nil else { return }
        operation.state = .finished
        if !(operation.skipSuccess && result >= 0) {
            post(operation.userData, result)
        }
        if let guardID = operation.linkTimeout, let guardTimer = operations.removeValue(forKey: guardID) {
            // The operation ended first: its linked timeout is cancelled.
            guardTimer.state = .finished
            post(guardTimer.userData, -ECANCELED)
        }
        if let guarded = operation.guarded, let target = operations[guarded] {
            target.linkTimeout = nil
        }
        if !operation.chain.isEmpty {
            if result >= 0 || operation.hardLink {
                startChain(operation.chain[...])
            } else {
                failChain(operation.chain[...], result: -ECANCELED)
            }
        }
    }

    private func post(_ userData: UInt64, _ result: Int32, flags: UInt32 = 0) {
        ready.append(Completion(userData: userData, result: result, flags: flags))
    }

    // MARK: Clock

    static func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        duration.saturatingNonNegativeNanoseconds
    }
}

/// One submitted SQE, from start to its last CQE (owner thread only).
final class EmulatedOperation {
    enum State {
        /// Being started or retried right now.
        case starting
        /// Waiting in the epoll set for these events.
        case waiting(events: UInt32)
        /// On (or queued for) a pool thread.
        case pool(PoolJob)
        /// A TIMEOUT or LINK_TIMEOUT due at this CLOCK_MONOTONIC time (ns).
        case timer(deadline: UInt64)
        case finished
    }

    let id: UInt64
    let sqe: io_uring_sqe
    let opcode: Opcode
    var state = State.starting
    /// The LINK_TIMEOUT guarding this operation.
    var linkTimeout: UInt64?
    /// For a LINK_TIMEOUT: the operation it guards.
    var guarded: UInt64?
    /// SQEs linked behind this one: they start when it succeeds (or ends, for a hard link).
    var chain: [io_uring_sqe] = []
    var hardLink = false
    /// CONNECT: the first connect(2) went out; readiness now means "look at SO_ERROR".
    var connectStarted = false

    init(id: UInt64, sqe: io_uring_sqe) {
        self.id = id
        self.sqe = sqe
        self.opcode = Opcode(rawValue: sqe.opcode)
    }

    var userData: UInt64 { sqe.user_data }
    var skipSuccess: Bool { sqe.flags & CURING_IOSQE_CQE_SKIP_SUCCESS != 0 }

    var isCancellable: Bool {
        if case .finished = state { return false }
        return true
    }
}

/// A binary min-heap of (deadline, operation id); cancelled entries are skipped when popped.
struct DeadlineHeap {
    private var items: [(deadline: UInt64, id: UInt64)] = []

    var earliest: UInt64? { items.first?.deadline }

    mutating func insert(deadline: UInt64, id: UInt64) {
        items.append((deadline, id))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popDue(now: UInt64) -> (UInt64, UInt64)? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count && items[left].deadline < items[smallest].deadline { smallest = left }
                if right < items.count && items[right].deadline < items[smallest].deadline { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (first.deadline, first.id)
    }
}
