// One worker's io_uring: it submits that worker's operations, reaps their CQEs and
// resumes the tasks that wait for them, and it is the worker's Parker.
//
// Thread rules: created on its worker thread (the ring is SINGLE_ISSUER) and used only
// there, except `unpark`, `post` and `requestCancel`, which any thread may call: they
// touch only the mailbox, the atomic wake state and the eventfd.
//
// Protocol:
// - poll(): drain the mailbox, submit queued SQEs (one io_uring_enter for the batch),
//   reap CQEs and resume their waiters. The executor calls it between jobs at a
//   bounded interval and before parking.
// - park(deadline): wake state EMPTY -> PARKED, then io_uring_submit_and_wait. A read
//   on an eventfd is kept armed in the ring; unpark() sets NOTIFIED and, only if the
//   worker was PARKED, writes the eventfd, whose CQE ends the wait. An unpark before
//   park leaves NOTIFIED, so the next park returns at once: no wake-up is lost.
// - A CQE resumes its waiter exactly once: slots ignore stale generations.

import CLiburing
import Dispatch
import Glibc
import Synchronization
import URingExecutor

/// Counters of one driver; read with `CompletionDriver.statistics` on its thread.
public struct DriverStatistics: Sendable, Equatable {
    /// The worker this driver belongs to.
    public var worker = 0
    public var operationsStarted = 0
    public var operationsCompleted = 0
    public var cancellationsSubmitted = 0
    public var staleCompletions = 0
    public var remoteSubmissions = 0
    public var eventFDWakes = 0
    public var parks = 0
    /// Provided receive buffers held by streams or waiting to go back to the kernel.
    public var providedBuffersInUse = 0
    /// Multishot receives the kernel ended because the provided-buffer pool was empty
    /// (those streams fell back to plain receives).
    public var receiveBufferExhaustions = 0
    /// Whether this ring runs multishot receives: false until first needed, and when the
    /// kernel refused the buffer ring (then every receive is a plain recv).
    public var providedBuffersRegistered = false
    /// Times the ring reported dropped CQEs (EBADR) and the driver cancelled every
    /// operation in flight to find the ones whose CQE was lost.
    public var lostCompletionRecoveries = 0
    /// Operations whose CQE the kernel dropped; their callers got EBADR.
    public var lostCompletions = 0
    /// Operations whose last CQE has not arrived (slots in use) when the counters were read.
    public var operationsInFlight = 0
    public var ring = RingStatistics()
}

public final class CompletionDriver: Parker, @unchecked Sendable {
    // @unchecked: everything but `mailbox`, `wakeState` and `eventFD` is confined to
    // the worker thread that created the driver; those three are thread-safe.

    private enum WakeState: UInt8 {
        case empty = 0, parked = 1, notified = 2
    }

    private var ring: Ring
    /// Who an operation wakes: a suspended task, or a job whose timer the ring holds.
    enum Waiter {
        case task(UnsafeContinuation<OperationOutcome, Never>)
        case timer(UnownedJob, deadline: ContinuousClock.Instant, executor: URingExecutor)
        /// A multishot operation that takes each CQE as it comes.
        case multishot(any MultishotOperation)
    }

    private var slots = OperationSlots<Waiter>()
    /// Where timers go that this ring gives back (shutdown); set by the runtime.
    var timerFallback: RingTimers?
    private let mailbox = Mailbox()
    private var drained: [DriverMessage] = []
    private let wakeState = Atomic<UInt8>(WakeState.empty.rawValue)
    private let eventFD: Int32
    /// Whether `eventFD` is still open: `unpark` writes it only under this lock, so the
    /// runtime's shutdown can close it while another thread may still unpark. (A pthread
    /// lock, which ThreadSanitizer sees, unlike Mutex.)
    private let eventFDOpen = ThreadLock(true)
    private var counters = DriverStatistics()
    private let deferTaskRun: Bool
    private var shuttingDown = false
    let index: Int
    private let receivePoolShape: ReceiveBufferPool
    private var receivePool: ProvidedBuffers?
    private var receivePoolRefused = false
    /// Operations the kernel no longer knew after CQEs were dropped, with when that was
    /// learned; still in flight a grace period later, their CQE was lost.
    private var lostSuspects: [(ticket: SlotTicket, since: ContinuousClock.Instant)] = []
    private static let lostGrace = Duration.milliseconds(20)

    /// Sets up the ring and the eventfd on the calling thread and makes this the
    /// thread's driver.
    public init(index: Int, options: RingOptions, receiveBuffers: ReceiveBufferPool = ReceiveBufferPool()) throws {
        let ring = try Ring(options: options)
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        self.ring = ring
        self.eventFD = fd
        self.deferTaskRun = options.deferTaskRun
        self.index = index
        self.receivePoolShape = receiveBuffers
        try armEventFD()
        CurrentDriver.register(self)
    }

    deinit {
        // The ring's deinit (after this body) tears down any pending eventfd read first.
        closeEventFD()
        // The ring is still alive in this body: take the kernel off the pool's memory
        // before the pool can be freed.
        receivePool?.unregister(from: &ring)
    }

    /// Counters of this driver (owner thread only).
    public var statistics: DriverStatistics {
        var result = counters
        result.worker = index
        result.staleCompletions = slots.staleCompletions
        result.operationsInFlight = slots.inUse
        result.providedBuffersInUse = receivePool?.inUse ?? 0
        result.providedBuffersRegistered = receivePool != nil
        result.ring = ring.statistics
        return result
    }

    /// Operations whose CQEs have not all arrived yet (owner thread only).
    public var operationsInFlight: Int { slots.inUse }

    private func armEventFD() throws(Errno) {
        let entry = try ring.nextEntry()
        // The ring's pinned scratch outlives any pending read: it is freed after teardown.
        let target = UnsafeMutableRawBufferPointer(rebasing: ring.pinnedScratch[..<8])
        entry.read(FileDescriptor(rawValue: eventFD), into: target, at: 0)
        entry.userData = UserData.eventFDWake.rawValue
    }

    // MARK: Parker

    public func poll() {
        receivePool?.replenish()
        drainMailbox()
        if ring.pendingSubmissions > 0 || (deferTaskRun && slots.inUse > 0) {
            enter(.submit(getEvents: deferTaskRun))
        }
        reapCompletions()
        if !lostSuspects.isEmpty { resolveLostSuspects() }
    }

    public func park(deadline: ContinuousClock.Instant?) {
        if wakeState.compareExchange(
            expected: WakeState.notified.rawValue, desired: WakeState.empty.rawValue, ordering: .acquiringAndReleasing
        ).exchanged {
            poll()
            return
        }
        drainMailbox()
        guard
            wakeState.compareExchange(
                expected: WakeState.empty.rawValue, desired: WakeState.parked.rawValue, ordering: .acquiringAndReleasing
            ).exchanged
        else {
            // Notified between the two checks.
            wakeState.store(WakeState.empty.rawValue, ordering: .releasing)
            poll()
            return
        }
        counters.parks += 1
        receivePool?.replenish()
        var timeout: Duration?
        if let deadline {
            timeout = max(deadline - ContinuousClock.now, .zero)
        }
        if readyWithoutWaiting() {
            timeout = .zero
        } else if !lostSuspects.isEmpty {
            // Come back to settle operations whose CQE may have been lost.
            timeout = min(timeout ?? Self.lostGrace, Self.lostGrace)
        }
        enter(timeout == .zero ? .submit(getEvents: true) : .wait(timeout: timeout))
        wakeState.store(WakeState.empty.rawValue, ordering: .releasing)
        reapCompletions()
        drainMailbox()
    }

    public func unpark() {
        let previous = wakeState.exchange(WakeState.notified.rawValue, ordering: .acquiringAndReleasing)
        if previous == WakeState.parked.rawValue {
            eventFDOpen.withLock { open in
                guard open else { return }
                var one: UInt64 = 1
                // eventfd writes of 8 bytes cannot be short; EAGAIN only at a counter near 2^64.
                _ = write(eventFD, &one, 8)
            }
        }
    }

    /// CQEs already posted or mail already waiting: parking would only delay them.
    private func readyWithoutWaiting() -> Bool {
        ring.readyCompletions > 0 || ring.hasBacklog
    }

    private enum EnterMode {
        case submit(getEvents: Bool)
        case wait(timeout: Duration?)
    }

    /// Submits, and maybe waits. A ring that reports itself unusable (wrong thread, torn
    /// down) is a bug in this driver, not a condition a caller could handle.
    private func enter(_ mode: EnterMode) {
        do throws(Errno) {
            switch mode {
            case .submit(let getEvents): try ring.submit(getEvents: getEvents)
            case .wait(let timeout): try ring.submitAndWait(minCompletions: 1, timeout: timeout)
            }
        } catch {
            fatalError("io_uring_enter failed on worker \(index): \(error) (ring owner misuse)")
        }
        if ring.takeCompletionsDropped() { probeForLostCompletions() }
    }

    // MARK: Dropped CQEs (EBADR)

    /// The kernel dropped CQEs (it could not allocate overflow entries): some operations
    /// in flight will never see theirs. Cancel every operation in flight with a probe
    /// whose own CQE says whether the kernel still had it. Those it did not have, and
    /// that are still unfinished after a grace period, lost their CQE: their callers
    /// resume with EBADR instead of waiting forever. The rest end as cancelled, with
    /// EBADR too (their result is unknown to nobody, but the ring could not vouch for it).
    private func probeForLostCompletions() {
        counters.lostCompletionRecoveries += 1
        for ticket in slots.inFlightTickets() {
            guard let target = slots.probeLost(ticket) else { continue }
            submitCancel(of: target, as: UserData(kind: .lostProbe, ticket: ticket))
        }
    }

    /// Ends the suspects whose grace period passed and whose CQE still has not come.
    private func resolveLostSuspects() {
        let now = ContinuousClock.now
        guard lostSuspects.contains(where: { now - $0.since >= Self.lostGrace }) else { return }
        // A CQE still in the kernel's overflow list is not lost: flush and reap first.
        enter(.submit(getEvents: true))
        reapCompletions()
        var waiting: [(ticket: SlotTicket, since: ContinuousClock.Instant)] = []
        for suspect in lostSuspects {
            guard now - suspect.since >= Self.lostGrace else {
                waiting.append(suspect)
                continue
            }
            if case .resume(let waiter, let outcome) = slots.resolveLost(suspect.ticket) {
                counters.lostCompletions += 1
                resume(waiter, outcome)
            }
        }
        lostSuspects = waiting
    }

    // MARK: Submission (owner thread)

    /// Reserves a slot for an operation about to start on this thread.
    @inline(__always)
    func reserve() -> SlotTicket { slots.reserve() }

    /// Starts `operation` in the reserved `ticket`; its waiter is resumed from a CQE, or
    /// at once when it was cancelled before reaching the ring or the ring refused it.
    func start<Operation: RingOperation>(
        _ operation: Operation, ticket: SlotTicket, deadline: ContinuousClock.Instant?,
        continuation: UnsafeContinuation<OperationOutcome, Never>
    ) {
        guard CurrentDriver.driver === self else {
            // The task left this worker between reserving and starting (the concurrency
            // runtime hopped): finish the start on the owner thread, through the mailbox.
            post(.startReserved(RemoteOperation(operation, continuation: continuation, deadline: deadline), ticket))
            return
        }
        let (cancelled, shutdown) = slots.isCancelRequested(ticket)
        if cancelled || shuttingDown {
            slots.abandon(ticket)
            continuation.resume(returning: .cancelledBeforeSubmission(shutdown: shutdown || shuttingDown))
            return
        }
        var remaining: Duration?
        if let deadline {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                slots.abandon(ticket)
                var outcome = OperationOutcome.cancelledBeforeSubmission(shutdown: false)
                outcome.cancelRequested = false
                outcome.timedOut = true
                continuation.resume(returning: outcome)
                return
            }
            remaining = left
        }
        do throws(Errno) {
            if remaining != nil { try ring.reserveEntries(2) }
            let entry = try ring.nextEntry()
            operation.prepare(entry, time: slots.timePointer(ticket))
            entry.userData = UserData(kind: .operation, ticket: ticket).rawValue
            var completions = 1
            if let remaining {
                entry.flags.insert(.link)
                let timeout = try ring.nextEntry()
                let time = slots.deadlinePointer(ticket)
                time.pointee = __kernel_timespec(remaining)
                timeout.linkTimeout(time)
                timeout.userData = UserData(kind: .linkedTimeout, ticket: ticket).rawValue
                completions = 2
            }
            if let keepAlive = operation.keepAlive { slots.retain(keepAlive, for: ticket) }
            slots.submitted(ticket, waiter: .task(continuation), completions: completions)
            counters.operationsStarted += 1
        } catch {
            slots.abandon(ticket)
            var outcome = OperationOutcome.empty
            outcome.result = -error.rawValue
            continuation.resume(returning: outcome)
        }
    }

    // MARK: Multishot (owner thread, or forwarded there)

    /// Submits `operation` as one multishot SQE; its CQEs go to `deliver`, the last to
    /// `finish` (exactly one `finish` per call, also when it cannot start).
    func startMultishot(_ operation: any MultishotOperation) {
        guard CurrentDriver.driver === self else {
            post(.startMultishot(operation))
            return
        }
        guard !shuttingDown else {
            operation.finish(.cancelledBeforeSubmission(shutdown: true))
            return
        }
        let ticket = slots.reserve()
        guard operation.arming(on: self, ticket: ticket) else {
            slots.abandon(ticket)
            operation.finish(.cancelledBeforeSubmission(shutdown: false))
            return
        }
        do throws(Errno) {
            let entry = try ring.nextEntry()
            operation.prepare(entry)
            entry.userData = UserData(kind: .operation, ticket: ticket).rawValue
            slots.armed(ticket, waiter: .multishot(operation))
            counters.operationsStarted += 1
        } catch {
            slots.abandon(ticket)
            var outcome = OperationOutcome.empty
            outcome.result = -error.rawValue
            operation.finish(outcome)
        }
    }

    // MARK: Provided receive buffers (owner thread)

    /// This ring's provided-buffer pool, set up on first use; nil when it is turned off
    /// or the kernel refused it (then receives stay plain recv calls).
    var receiveBuffers: ProvidedBuffers? {
        if let receivePool { return receivePool }
        guard !receivePoolRefused, !shuttingDown, receivePoolShape.count > 0 else { return nil }
        do throws(Errno) {
            let pool = try ProvidedBuffers(count: receivePoolShape.count, bufferSize: receivePoolShape.bufferSize)
            try pool.register(with: &ring)
            receivePool = pool
            return pool
        } catch {
            receivePoolRefused = true
            return nil
        }
    }

    /// A multishot receive ended for lack of buffers.
    func noteReceiveBuffersExhausted() {
        counters.receiveBufferExhaustions += 1
    }

    // MARK: Timers (owner thread)

    /// Holds `job` in a ring timeout until `deadline`; false if this ring cannot (it is
    /// shutting down), and the caller keeps the job elsewhere.
    func startTimer(_ job: UnownedJob, at deadline: ContinuousClock.Instant, executor: URingExecutor) -> Bool {
        guard !shuttingDown else { return false }
        let ticket = slots.reserve()
        do throws(Errno) {
            let entry = try ring.nextEntry()
            TimeoutOperation(deadline: deadline).prepare(entry, time: slots.timePointer(ticket))
            entry.userData = UserData(kind: .operation, ticket: ticket).rawValue
            slots.submitted(ticket, waiter: .timer(job, deadline: deadline, executor: executor), completions: 1)
            counters.operationsStarted += 1
            return true
        } catch {
            slots.abandon(ticket)
            return false
        }
    }

    /// Hands an operation's outcome to whoever waits for it.
    private func resume(_ waiter: Waiter, _ outcome: OperationOutcome) {
        counters.operationsCompleted += 1
        var outcome = outcome
        if outcome.completionsLost && outcome.result == -ECANCELED {
            // Cancelled by the lost-CQE probe, not by its caller.
            outcome.result = -EBADR
        }
        switch waiter {
        case .task(let continuation):
            continuation.resume(returning: outcome)
        case .timer(let job, let deadline, let executor):
            fireTimer(job, deadline: deadline, executor: executor, outcome: outcome)
        case .multishot(let operation):
            operation.finish(outcome)
        }
    }

    private func fireTimer(
        _ job: UnownedJob, deadline: ContinuousClock.Instant, executor: URingExecutor, outcome: OperationOutcome
    ) {
        if outcome.shutdown || outcome.completionsLost, let timerFallback {
            // A shutdown (or a lost-CQE probe) cut the timer short: keep its deadline;
            // the fallback timers fire it then.
            _ = timerFallback.fallback.schedule(job, at: deadline)
            return
        }
        executor.enqueue(job)
    }

    // MARK: Cross-thread requests

    /// Asks for `ticket`'s operation to be cancelled; safe from any thread.
    func requestCancel(_ ticket: SlotTicket) {
        post(.cancel(ticket))
    }

    /// Leaves `message` for this driver and wakes it; any thread. After the driver shut
    /// down, the message is answered here: its waiter resumes with a shutdown outcome.
    func post(_ message: DriverMessage) {
        if mailbox.post(message) {
            unpark()
        } else {
            Self.refuse(message)
        }
    }

    /// Answers a message no driver will handle: operations resume as refused by shutdown.
    private static func refuse(_ message: DriverMessage) {
        switch message {
        case .startRemote(let submission), .startReserved(let submission, _):
            submission.continuation.resume(returning: .cancelledBeforeSubmission(shutdown: true))
        case .startMultishot(let operation):
            operation.finish(.cancelledBeforeSubmission(shutdown: true))
        case .shutdown(let latch):
            latch.signal()
        case .statistics(let request):
            request.deliver(nil)
        case .cancel, .cancelRemote:
            break
        }
    }

    private func drainMailbox() {
        mailbox.drain(into: &drained)
        guard !drained.isEmpty else { return }
        var shutdownLatch: DispatchSemaphore?
        for message in drained {
            switch message {
            case .cancel(let ticket):
                submitCancel(slots.cancel(ticket))
            case .startRemote(let submission):
                counters.remoteSubmissions += 1
                if submission.cancelled {
                    submission.continuation.resume(returning: .cancelledBeforeSubmission(shutdown: false))
                    continue
                }
                let ticket = slots.reserve()
                submission.ticket = ticket
                submission.start(on: self, ticket: ticket)
            case .startReserved(let submission, let ticket):
                counters.remoteSubmissions += 1
                submission.ticket = ticket
                submission.start(on: self, ticket: ticket)
            case .cancelRemote(let submission):
                if let ticket = submission.ticket {
                    submitCancel(slots.cancel(ticket))
                } else {
                    submission.cancelled = true
                }
            case .startMultishot(let operation):
                startMultishot(operation)
            case .shutdown(let latch):
                shutdownLatch = latch
            case .statistics(let request):
                request.deliver(statistics)
            }
        }
        drained.removeAll(keepingCapacity: true)
        if let shutdownLatch {
            shutdown()
            shutdownLatch.signal()
        }
    }

    private func submitCancel(_ action: CancelAction) {
        guard case .submitCancel(let target) = action else { return }
        submitCancel(of: target, as: .cancelRequest)
    }

    /// An ASYNC_CANCEL of `target`. A plain cancel request (`.cancelRequest`) is counted
    /// and needs no CQE on success (the target's own CQE reports it); a lost-completion
    /// probe wants its CQE, which says whether the kernel still had the target.
    private func submitCancel(of target: UserData, as tag: UserData) {
        do throws(Errno) {
            let entry = try ring.nextEntry()
            entry.cancel(target: target.rawValue)
            entry.userData = tag.rawValue
            if tag == .cancelRequest {
                entry.flags = .skipSuccessCompletion
                counters.cancellationsSubmitted += 1
            }
        } catch {
            fatalError("io_uring refused a cancel SQE on worker \(index): \(error)")
        }
    }

    // MARK: Completion (owner thread)

    private func reapCompletions() {
        var rearm = false
        ring.reap { completion in
            let userData = UserData(rawValue: completion.userData)
            switch userData {
            case .eventFDWake:
                rearm = true
            case .cancelRequest:
                // ENOENT/EALREADY: the target completed first; its CQE tells the story.
                break
            case let probe where probe.kind == .lostProbe:
                // ENOENT: the kernel no longer has the operation; its CQE was posted, or lost.
                if completion.result == -ENOENT {
                    lostSuspects.append((probe.ticket, ContinuousClock.now))
                }
            default:
                switch slots.complete(userData, result: completion.result, flags: completion.flags) {
                case .resume(let waiter, let outcome):
                    resume(waiter, outcome)
                case .deliver(.multishot(let operation), let result, let flags):
                    operation.deliver(result: result, flags: flags)
                case .deliver:
                    fatalError("Internal inconsistency: a multishot CQE for a single-shot waiter")
                case .wait, .ignore:
                    break
                }
            }
        }
        if rearm {
            counters.eventFDWakes += 1
            do { try armEventFD() } catch { fatalError("cannot re-arm the wake eventfd on worker \(index): \(error)") }
        }
    }

    // MARK: Shutdown (owner thread)

    /// Cancels every operation in flight and waits, up to `limit`, for their CQEs; each
    /// waiter resumes (with a shutdown outcome). Operations started later are refused.
    /// Returns the number still in flight when `limit` passed (0 unless the kernel hangs).
    @discardableResult
    public func shutdown(within limit: Duration = .seconds(5)) -> Int {
        shuttingDown = true
        drainMailbox()
        for ticket in slots.inFlightTickets() {
            submitCancel(slots.cancel(ticket, shutdown: true))
        }
        let deadline = ContinuousClock.now + limit
        while slots.inUse > 0 && ContinuousClock.now < deadline {
            enter(.wait(timeout: .milliseconds(10)))
            reapCompletions()
            drainMailbox()
        }
        if slots.inUse == 0 {
            // No receive is armed any more: the kernel lets go of the pool's memory.
            receivePool?.unregister(from: &ring)
        }
        // From now on posters answer their own messages; answer what is left here.
        for message in mailbox.close() {
            Self.refuse(message)
        }
        return slots.inUse
    }

    /// Closes the ring and the wake eventfd now rather than when the driver is freed
    /// (which a task still holding the executor can delay past shutdown). Called by the
    /// runtime once `shutdown(within:)` finished and the worker thread has exited, so no
    /// thread uses the ring any more. Keeps the ring when the kernel still holds
    /// operations (a `shutdown(within:)` that timed out): their buffers stay valid until
    /// deinit.
    func closeDescriptors() {
        guard shuttingDown, slots.inUse == 0 else { return }
        receivePool?.unregister(from: &ring)
        ring.close()
        closeEventFD()
    }

    /// Whether `closeDescriptors()` (or deinit) closed the wake eventfd; any thread.
    var descriptorsClosed: Bool { !eventFDOpen.withLock { $0 } }

    private func closeEventFD() {
        eventFDOpen.withLock { open in
            guard open else { return }
            open = false
            close(eventFD)
        }
    }
}

/// The shape of each worker ring's provided-buffer pool for multishot receives.
public struct ReceiveBufferPool: Sendable, Equatable {
    /// Buffers per ring: a power of two up to 32,768; 0 turns multishot receives off.
    public var count: Int
    /// Bytes per buffer.
    public var bufferSize: Int

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
