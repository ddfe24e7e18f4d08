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
    public var operationsStarted = 0
    public var operationsCompleted = 0
    public var cancellationsSubmitted = 0
    public var staleCompletions = 0
    public var remoteSubmissions = 0
    public var eventFDWakes = 0
    public var parks = 0
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
    // Safety: the 8 bytes the armed eventfd read fills; freed in deinit, after the ring
    // (and with it any pending read) is gone.
    private let eventFDBuffer: UnsafeMutableRawBufferPointer
    private var counters = DriverStatistics()
    private let deferTaskRun: Bool
    private var shuttingDown = false
    let index: Int

    /// Sets up the ring and the eventfd on the calling thread and makes this the
    /// thread's driver.
    public init(index: Int, options: RingOptions) throws {
        let ring = try Ring(options: options)
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        self.ring = ring
        self.eventFD = fd
        self.eventFDBuffer = .allocate(byteCount: 8, alignment: 8)
        self.deferTaskRun = options.deferTaskRun
        self.index = index
        try armEventFD()
        CurrentDriver.register(self)
    }

    deinit {
        // The ring's deinit (after this body) tears down any pending eventfd read first.
        close(eventFD)
    }

    /// Counters of this driver (owner thread only).
    public var statistics: DriverStatistics {
        var result = counters
        result.staleCompletions = slots.staleCompletions
        result.ring = ring.statistics
        return result
    }

    /// Operations whose CQEs have not all arrived yet (owner thread only).
    public var operationsInFlight: Int { slots.inUse }

    private func armEventFD() throws(Errno) {
        let entry = try ring.nextEntry()
        entry.read(FileDescriptor(rawValue: eventFD), into: eventFDBuffer, at: 0)
        entry.userData = UserData.eventFDWake.rawValue
    }

    // MARK: Parker

    public func poll() {
        drainMailbox()
        if ring.pendingSubmissions > 0 || (deferTaskRun && slots.inUse > 0) {
            enter(.submit(getEvents: deferTaskRun))
        }
        reapCompletions()
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
        var timeout: Duration?
        if let deadline {
            timeout = max(deadline - ContinuousClock.now, .zero)
        }
        if readyWithoutWaiting() {
            timeout = .zero
        }
        enter(timeout == .zero ? .submit(getEvents: true) : .wait(timeout: timeout))
        wakeState.store(WakeState.empty.rawValue, ordering: .releasing)
        reapCompletions()
        drainMailbox()
    }

    public func unpark() {
        let previous = wakeState.exchange(WakeState.notified.rawValue, ordering: .acquiringAndReleasing)
        if previous == WakeState.parked.rawValue {
            var one: UInt64 = 1
            // eventfd writes of 8 bytes cannot be short; EAGAIN only at a counter near 2^64.
            _ = write(eventFD, &one, 8)
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

    private func fireTimer(
        _ job: UnownedJob, deadline: ContinuousClock.Instant, executor: URingExecutor, outcome: OperationOutcome
    ) {
        if outcome.shutdown, let timerFallback {
            // A shutdown cut the timer short: keep its deadline; the executor's shutdown
            // hands it to the fallback executor.
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
        do throws(Errno) {
            let entry = try ring.nextEntry()
            entry.cancel(target: target.rawValue)
            entry.userData = UserData.cancelRequest.rawValue
            // A successful cancel needs no CQE: the target's own CQE reports it.
            entry.flags = .skipSuccessCompletion
            counters.cancellationsSubmitted += 1
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
            default:
                switch slots.complete(userData, result: completion.result, flags: completion.flags) {
                case .resume(.task(let continuation), let outcome):
                    counters.operationsCompleted += 1
                    continuation.resume(returning: outcome)
                case .resume(.timer(let job, let deadline, let executor), let outcome):
                    counters.operationsCompleted += 1
                    fireTimer(job, deadline: deadline, executor: executor, outcome: outcome)
                case .resume(.multishot(let operation), let outcome):
                    counters.operationsCompleted += 1
                    operation.finish(outcome)
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
        // From now on posters answer their own messages; answer what is left here.
        for message in mailbox.close() {
            Self.refuse(message)
        }
        return slots.inUse
    }
}
