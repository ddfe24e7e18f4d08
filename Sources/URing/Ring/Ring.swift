// A single-owner io_uring: setup, SQE hand-out, batched submit, batched CQE reaping.
//
// Ownership: a Ring is non-copyable and not Sendable; exactly one thread uses it (with
// `singleIssuer`, the thread that created it, as the kernel enforces). Another thread
// that needs this ring goes through the owner (the runtime's worker mailbox).
//
// Invariants:
// - No completion is lost: when io_uring_enter fails with EAGAIN/EBUSY, the ring moves
//   ready CQEs into `backlog` before retrying, and `reap` hands out the backlog first.
// - EINTR, EAGAIN and EBUSY never reach a caller; SQEs left unsubmitted by a failed
//   enter stay queued and go with the next one.
// - CQEs that liburing posts for its own internal timeouts (LIBURING_UDATA_TIMEOUT, on
//   kernels without EXT_ARG) are skipped, never handed out.

import CLiburing
import Glibc
import URingExecutor

/// Counters a Ring keeps about its own work; cheap, for tests, benchmarks and metrics.
public struct RingStatistics: Sendable, Equatable {
    /// Calls into io_uring_enter made through submit/wait (the kernel may skip some).
    /// Not counted: the enters liburing makes by itself when a reap finds the CQ empty but
    /// the kernel holding CQEs back (an overflow, or completion work it flagged with
    /// TASKRUN_FLAG).
    public var enterCalls = 0
    /// EINTR/EAGAIN/EBUSY results absorbed by retrying.
    public var enterRetries = 0
    /// CQEs parked in the backlog while the kernel refused submissions.
    public var backlogged = 0
    /// CQEs handed to `reap` callers.
    public var completionsReaped = 0
    /// Times `nextEntry` found the SQ full and flushed it.
    public var fullQueueFlushes = 0
    /// The kernel's CQ overflow counter (`cq.koverflow`), read each time the statistics
    /// are read. With `noDrop` (Linux 5.5+), CQEs that do not fit the CQ wait in the
    /// kernel's overflow list and are not counted; this counts the ones it dropped.
    public var overflowedCompletions = 0
    /// Reaps that found CQEs waiting in the kernel's overflow list because the CQ was
    /// full (IORING_SQ_CQ_OVERFLOW). With `noDrop` none of them is lost.
    public var completionQueueOverflows = 0
    /// Times io_uring_enter reported EBADR: the kernel could not keep overflowed CQEs
    /// (out of memory) and dropped some. Their operations will never complete.
    public var droppedCompletionEvents = 0
    /// SQEs prepared but not yet handed to the kernel when the counters were read.
    public var pendingSubmissions = 0
    /// The IORING_SETUP_* flags the ring has (`Ring.setupFlags`).
    public var setupFlags: RingSetupFlags = []
    /// Flags asked for that the kernel refused (`Ring.droppedSetupFlags`).
    public var droppedSetupFlags: RingSetupFlags = []
}

/// IORING_FEAT_* bits the kernel reported at setup.
@_spi(URingInternals)
public struct RingFeatures: OptionSet, Sendable {
    /// The IORING_FEAT_* bits, as io_uring_params.features holds them.
    public let rawValue: UInt32
    /// The features whose IORING_FEAT_* bits are set in `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// CQEs that do not fit are kept by the kernel, not dropped (Linux 5.5).
    public static let noDrop = RingFeatures(rawValue: IORING_FEAT_NODROP)
    /// io_uring_enter takes a timeout argument (Linux 5.11).
    public static let extendedArgument = RingFeatures(rawValue: IORING_FEAT_EXT_ARG)
    /// Pointers in an SQE are read only at submission, not later (Linux 5.7).
    public static let stableSubmission = RingFeatures(rawValue: IORING_FEAT_SUBMIT_STABLE)
    /// Fast poll for sockets instead of async workers (Linux 5.7).
    public static let fastPoll = RingFeatures(rawValue: IORING_FEAT_FAST_POLL)
}

/// An io_uring instance owned by one thread.
@_spi(URingInternals)
public struct Ring: ~Copyable {
    // Safety: allocated once in init and freed in deinit; liburing keeps pointers into
    // the mmapped rings inside it, so it lives on the heap where it never moves.
    @usableFromInline let ring: UnsafeMutablePointer<io_uring>
    /// The user-space stand-in when `options.emulated`; then `ring`'s queues point into
    /// the emulator's memory (so SQE hand-out is the same code) and no kernel ring exists.
    private let emulator: RingEmulator?
    // Safety: scratch array for io_uring_peek_batch_cqe, owned like `ring`.
    private let batch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private static let batchSize = 64
    /// 64 bytes the owner may hand the kernel to write into for as long as the ring
    /// exists (the driver's wake-up eventfd read): freed only after the ring is torn
    /// down, when no pending operation can write it any more.
    public let pinnedScratch: UnsafeMutableRawBufferPointer

    /// What the kernel said it supports when the ring was set up (an emulated ring reports
    /// `noDrop` and `stableSubmission`, which it honours).
    public let features: RingFeatures
    /// The options in effect: those asked for, with the setup flags the kernel refused
    /// turned off (`droppedSetupFlags`).
    public let options: RingOptions
    /// The IORING_SETUP_* flags this ring was set up with (empty when emulated).
    public let setupFlags: RingSetupFlags
    /// Flags asked for that the kernel rejected (EINVAL: older than the flag), so setup
    /// went on without them. A dropped DEFER_TASKRUN is replaced by COOP_TASKRUN.
    public let droppedSetupFlags: RingSetupFlags
    /// The submission queue's size as the kernel set it up (it rounds up to a power of two).
    public let submissionQueueEntries: UInt32
    /// The completion queue's size as the kernel set it up.
    public let completionQueueEntries: UInt32
    private var counters = RingStatistics()
    /// Set by an EBADR from io_uring_enter, cleared by `takeCompletionsDropped()`.
    private var completionsDropped = false

    /// This ring's counters; `overflowedCompletions` is read from the kernel now.
    public var statistics: RingStatistics {
        var result = counters
        result.setupFlags = setupFlags
        result.droppedSetupFlags = droppedSetupFlags
        result.pendingSubmissions = pendingSubmissions
        // Safety: koverflow points into the CQ ring mapped for this ring's lifetime.
        result.overflowedCompletions = Int(ring.pointee.cq.koverflow.pointee)
        return result
    }

    /// True once after io_uring_enter reported EBADR (CQEs were lost), then false until
    /// the next EBADR. The owner must treat operations in flight as possibly orphaned.
    public mutating func takeCompletionsDropped() -> Bool {
        defer { completionsDropped = false }
        return completionsDropped
    }

    private var faults: EnterFaultInjector?
    private var backlog: [Completion] = []
    private var backlogStart = 0

    /// Sets up a ring. Throws `URingUnavailableError` when this process cannot use io_uring
    /// (or, emulated, when the emulator cannot get its epoll/eventfd descriptors).
    public init(options: RingOptions = RingOptions()) throws(URingUnavailableError) {
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        ring.initialize(to: io_uring())
        if options.emulated {
            let emulator: RingEmulator
            do throws(Errno) {
                emulator = try RingEmulator(
                    ring: ring, entries: options.submissionQueueEntries, singleIssuer: options.singleIssuer)
            } catch {
                ring.deallocate()
                throw URingUnavailableError(errno: error)
            }
            self.ring = ring
            self.emulator = emulator
            self.batch = .allocate(capacity: Self.batchSize)
            self.pinnedScratch = .allocate(byteCount: 64, alignment: 64)
            self.features = [.noDrop, .stableSubmission]
            self.options = options
            self.setupFlags = []
            self.droppedSetupFlags = []
            self.submissionQueueEntries = emulator.entries
            self.completionQueueEntries = emulator.entries * 2
            self.faults = EnterFaultInjector(options.faults)
            return
        }
        // A kernel that does not know a flag answers EINVAL: drop the newest flag asked
        // for and try again, until setup works or nothing optional is left.
        var flags = options.setupFlags
        var params: io_uring_params
        var result: Int32
        while true {
            params = io_uring_params()
            params.flags = flags.rawValue
            if let cq = options.completionQueueEntries { params.cq_entries = cq }
            if let idle = options.submissionPollIdle {
                params.sq_thread_idle = UInt32(clamping: idle.saturatingNonNegativeNanoseconds / 1_000_000)
            }
            if let injected = options.faults?.setupError {
                result = -injected.rawValue
            } else if let rejected = options.faults?.rejectedSetupFlags, !flags.isDisjoint(with: rejected) {
                result = -EINVAL
            } else {
                result = io_uring_queue_init_params(options.submissionQueueEntries, ring, &params)
            }
            guard result == -EINVAL, let newest = RingSetupFlags.optional.first(where: { flags.contains($0) }) else { break }
            flags.remove(newest)
            // Without deferred task work, completion work is cooperative instead (what
            // the runtime asks for when it does not defer), unless that was refused too.
            if newest == .deferTaskRun && !options.setupFlags.subtracting(flags).contains(.cooperativeTaskRun) {
                flags.insert(.cooperativeTaskRun)
            }
        }
        if let error = Errno(uringResult: result) {
            ring.deallocate()
            throw URingUnavailableError(errno: error)
        }
        // Keep the rings out of forked children: a child must not share them (see fork notes).
        _ = io_uring_ring_dontfork(ring)
        self.ring = ring
        self.emulator = nil
        self.batch = .allocate(capacity: Self.batchSize)
        self.pinnedScratch = .allocate(byteCount: 64, alignment: 64)
        self.features = RingFeatures(rawValue: params.features)
        self.options = options.granted(flags)
        self.setupFlags = flags
        self.droppedSetupFlags = options.setupFlags.subtracting(flags)
        self.submissionQueueEntries = params.sq_entries
        self.completionQueueEntries = params.cq_entries
        self.faults = EnterFaultInjector(options.faults)
    }

    /// Set by `close()`: the kernel ring (or the emulator) is gone; only deinit may follow.
    private var isClosed = false

    /// Tears the ring down now instead of at deinit: its descriptor and mappings are
    /// released (the kernel cancels whatever it still holds). The owner must not use the
    /// ring afterwards, except to let it go. Idempotent.
    public mutating func close() {
        guard !isClosed else { return }
        isClosed = true
        tearDown()
    }

    /// Releases the kernel ring (io_uring_queue_exit) or the emulator; the memory stays
    /// until deinit. Once only: by `close()` or by deinit.
    private func tearDown() {
        if let emulator {
            emulator.tearDown()
        } else {
            io_uring_queue_exit(ring)
        }
    }

    deinit {
        if !isClosed { tearDown() }
        ring.deallocate()
        batch.deallocate()
        pinnedScratch.deallocate()
    }

    /// Whether this ring is the user-space emulation (`RingOptions.emulated`).
    public var isEmulated: Bool { emulator != nil }

    /// The ring's own file descriptor.
    /// (Emulated: the emulator's epoll descriptor.)
    public var fileDescriptor: FileDescriptor { FileDescriptor(rawValue: emulator?.epollFD ?? ring.pointee.ring_fd) }

    /// SQEs prepared but not yet handed to the kernel.
    @inlinable public var pendingSubmissions: Int { Int(io_uring_sq_ready(ring)) }

    /// CQEs ready to reap (not counting the backlog; an emulated ring puts every
    /// completion in the backlog, so check `hasBacklog` too).
    @inlinable public var readyCompletions: Int { Int(io_uring_cq_ready(ring)) }

    /// Whether the kernel flagged completion work waiting for this thread (IORING_SQ_TASKRUN;
    /// only a ring with `RingSetupFlags.taskRunFlag` sets it): CQEs that entering the
    /// kernel, even to submit nothing, would post.
    public var taskWorkPending: Bool {
        // Safety: sq.kflags points into the SQ ring mapped for this ring's lifetime; an
        // emulated ring has no kernel ring to read.
        emulator == nil && curing_sq_flags(ring) & IORING_SQ_TASKRUN != 0
    }

    /// Whether the backlog holds completions parked during a refused submit.
    public var hasBacklog: Bool { backlogStart < backlog.count }

    // MARK: Submission

    /// A free SQE to prepare. When the SQ is full, what is queued goes to the kernel first:
    /// a full queue is flushed, never reported as a failure.
    @inlinable
    public mutating func nextEntry() throws(Errno) -> SubmissionEntry {
        if let sqe = io_uring_get_sqe(ring) { return SubmissionEntry(sqe) }
        return try nextEntryAfterFlush()
    }

    /// Makes sure the next `count` calls to `nextEntry` get SQEs without a flush in between
    /// (a linked chain must reach the kernel in one submission).
    public mutating func reserveEntries(_ count: Int) throws(Errno) {
        precondition(count <= Int(submissionQueueEntries), "a chain of \(count) SQEs cannot fit a ring of \(submissionQueueEntries)")
        while Int(io_uring_sq_space_left(ring)) < count {
            counters.fullQueueFlushes += 1
            try submit()
            if Int(io_uring_sq_space_left(ring)) < count { sched_yield() }
        }
    }

    @usableFromInline
    mutating func nextEntryAfterFlush() throws(Errno) -> SubmissionEntry {
        counters.fullQueueFlushes += 1
        while true {
            try submit()
            if let sqe = io_uring_get_sqe(ring) { return SubmissionEntry(sqe) }
            // The kernel took nothing (it was short of memory); let it catch up.
            sched_yield()
        }
    }

    /// Hands every prepared SQE to the kernel; returns how many it took. With
    /// `getEvents`, also runs deferred completion work (needed with `deferTaskRun`).
    /// Throws only for errors that mean the ring itself is unusable (EEXIST: called from
    /// a thread other than a single issuer's owner; EBADF/ENXIO: ring torn down;
    /// EOWNERDEAD: SQPOLL thread died).
    @discardableResult
    public mutating func submit(getEvents: Bool = false) throws(Errno) -> Int {
        try enter(minCompletions: 0, timeout: nil, getEvents: getEvents)
    }

    /// Submits, then blocks until at least `minCompletions` CQEs are ready, `timeout`
    /// passes, or a signal arrives (all three just return; callers re-check).
    @discardableResult
    public mutating func submitAndWait(minCompletions: UInt32 = 1, timeout: Duration? = nil) throws(Errno) -> Int {
        try enter(minCompletions: minCompletions, timeout: timeout, getEvents: true)
    }

    private mutating func enter(minCompletions: UInt32, timeout: Duration?, getEvents: Bool) throws(Errno) -> Int {
        // Without SUBMIT_ALL (kernels before 5.18) the kernel stops a batch at the first
        // SQE that fails to prepare (it gets an error CQE), leaves the rest queued and
        // skips the wait: enter again until the queue is empty.
        let partialSubmits = emulator == nil && !setupFlags.contains(.submitAll)
        var submitted = 0
        while true {
            counters.enterCalls += 1
            let result: Int32
            if let injected = faults?.nextFailure() {
                result = -injected.rawValue
            } else if let emulator {
                compactBacklog()
                result = emulator.enter(
                    ring: ring, minCompletions: minCompletions, timeout: timeout,
                    alreadyReady: backlog.count - backlogStart, into: &backlog)
            } else if minCompletions == 0 {
                result = getEvents ? io_uring_submit_and_get_events(ring) : io_uring_submit(ring)
            } else if let timeout {
                var time = __kernel_timespec(timeout)
                var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
                result = io_uring_submit_and_wait_timeout(ring, &cqe, minCompletions, &time, nil)
            } else {
                result = io_uring_submit_and_wait(ring, minCompletions)
            }
            guard let error = Errno(uringResult: result) else {
                submitted += Int(result)
                if partialSubmits && result > 0 && io_uring_sq_ready(ring) > 0 { continue }
                return submitted
            }
            switch error {
            case .timeout:
                // ETIME (not ETIMEDOUT): the wait's timeout passed.
                return 0
            case .completionsDropped:
                // EBADR: the kernel dropped CQEs it could not keep. Nothing to retry
                // (nothing was submitted if this came back); remember it for the owner.
                counters.droppedCompletionEvents += 1
                completionsDropped = true
                return 0
            case .interrupted where minCompletions > 0:
                // A signal ended the wait: a spurious wake-up, which callers allow.
                counters.enterRetries += 1
                return 0
            case .interrupted:
                counters.enterRetries += 1
            case .resourceTemporarilyUnavailable, .resourceBusy:
                // The kernel wants completions reaped (CQ overflow) or is short of
                // request memory: park what is ready, then try again.
                counters.enterRetries += 1
                if moveReadyCompletionsToBacklog() == 0 { sched_yield() }
                if minCompletions > 0 && hasBacklog { return 0 }
            default:
                throw error
            }
        }
    }

    private mutating func compactBacklog() {
        if backlogStart == backlog.count {
            backlog.removeAll(keepingCapacity: true)
            backlogStart = 0
        }
    }

    private mutating func moveReadyCompletionsToBacklog() -> Int {
        compactBacklog()
        var ready: [Completion] = []
        _ = reapFromRing(limit: .max) { ready.append($0) }
        backlog.append(contentsOf: ready)
        counters.backlogged += ready.count
        return ready.count
    }

    // MARK: Completion

    /// Calls `body` with each ready completion, the backlog first, at most `limit`;
    /// returns how many. Never blocks (it may enter the kernel to flush an overflowed CQ).
    @discardableResult
    public mutating func reap(limit: Int = .max, _ body: (Completion) -> Void) -> Int {
        if let emulator {
            // The kernel posts CQEs on its own; the emulator does its work when asked.
            compactBacklog()
            emulator.poll(into: &backlog)
        }
        var count = 0
        while backlogStart < backlog.count && count < limit {
            body(backlog[backlogStart])
            backlogStart += 1
            count += 1
        }
        count += reapFromRing(limit: limit - count, body)
        counters.completionsReaped += count
        return count
    }

    private mutating func reapFromRing(limit: Int, _ body: (Completion) -> Void) -> Int {
        // The kernel sets this while CQEs wait in its overflow list (the CQ was full);
        // peek_batch below flushes them. Counted so the overflow can be seen.
        if emulator == nil && io_uring_cq_has_overflow(ring) { counters.completionQueueOverflows += 1 }
        var count = 0
        while count < limit {
            let want = UInt32(min(limit - count, Self.batchSize))
            let got = io_uring_peek_batch_cqe(ring, batch, want)
            if got == 0 { break }
            for index in 0..<Int(got) {
                // Safety: peek_batch filled `got` entries with CQEs the kernel published;
                // they stay valid until cq_advance below.
                let completion = Completion(batch[index]!)
                if completion.userData == CURING_LIBURING_UDATA_TIMEOUT { continue }
                body(completion)
                count += 1
            }
            io_uring_cq_advance(ring, got)
        }
        return count
    }

    // MARK: Probing and registration

    /// Registrations need a kernel ring: an emulated one refuses them as a kernel without
    /// the feature would (EINVAL), so callers take their plain path.
    func refuseIfEmulated() throws(Errno) {
        if emulator != nil { throw .invalidArgument }
    }

    /// The opcodes this kernel supports, or nil if it cannot tell (before Linux 5.6).
    /// (Emulated: the opcodes the emulator implements.)
    public func probe() -> RingProbe? {
        if emulator != nil {
            let supported = Set(RingEmulator.implementedOpcodes.map(\.rawValue))
            return RingProbe(lastOpcode: supported.max() ?? 0, supported: supported)
        }
        guard let probe = io_uring_get_probe_ring(ring) else { return nil }
        defer { io_uring_free_probe(probe) }
        var supported = Set<UInt8>()
        for op in 0...Int(probe.pointee.last_op) where io_uring_opcode_supported(probe, Int32(op)) != 0 {
            supported.insert(UInt8(op))
        }
        return RingProbe(lastOpcode: probe.pointee.last_op, supported: supported)
    }
}

extension __kernel_timespec {
    /// A timespec for `duration`; negative durations become zero.
    public init(_ duration: Duration) {
        let nanoseconds = duration.saturatingNonNegativeNanoseconds
        self.init(tv_sec: Int64(nanoseconds / 1_000_000_000), tv_nsec: Int64(nanoseconds % 1_000_000_000))
    }
}
