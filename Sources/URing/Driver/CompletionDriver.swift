// One worker's io_uring: it submits that worker's operations, reaps their CQEs and
// resumes the tasks that wait for them, and it is the worker's Parker.
//
// Thread rules: created on its worker thread (the ring is SINGLE_ISSUER) and used only
// there, except `unpark`, `post` and `requestCancel`, which any thread may call: they
// touch only the mailbox and the WakeSignal.
//
// Protocol:
// - poll(): drain the mailbox, submit queued SQEs (one io_uring_enter for the batch),
//   reap CQEs and resume their waiters. The executor calls it between jobs at a
//   bounded interval and before parking.
// - park(deadline): WakeSignal EMPTY -> PARKED, then io_uring_submit_and_wait; unpark()
//   ends the wait through the eventfd read kept armed in the ring (WakeSignal.swift).
// - A CQE resumes its waiter exactly once: slots ignore stale generations.
// The rest of the driver, by concern: CompletionDriver+Submission (single-shot,
// multishot and timer SQEs, the receive buffer pool), CompletionDriver+Mailbox (what
// other threads ask), CompletionDriver+LostCompletions (EBADR recovery).

import CLiburing
import Dispatch
import Glibc
import URingExecutor

/// One worker's io_uring and everything in flight on it: the `Parker` a runtime worker
/// sleeps in. Created on the worker's thread, which is the only thread that may use it
/// (except `unpark()` and posting to its mailbox); it submits the SQEs its operations
/// prepared, reaps CQEs and resumes their waiters.
package final class CompletionDriver: Parker, @unchecked Sendable {
    // @unchecked: everything but `mailbox` and `wake` is confined to the worker thread
    // that created the driver; those two are thread-safe.

    /// Who an operation wakes: a suspended task, or a job whose timer the ring holds.
    /// Every payload has a fixed layout (ClockDeadline, not ContinuousClock.Instant), so
    /// moving a Waiter in and out of a slot is plain code, not Swift runtime calls.
    enum Waiter {
        case task(UnsafeContinuation<OperationOutcome, Never>)
        case timer(UnownedJob, deadline: ClockDeadline, executor: URingExecutor)
        /// A multishot operation that takes each CQE as it comes.
        case multishot(any MultishotOperation)
    }

    /// Whether this ring has a receive buffer pool yet.
    enum ReceiveBufferPoolState {
        case notCreated
        /// The kernel refused the buffer ring (or the pool is turned off): never retried.
        case unavailable
        case registered(ReceiveBufferPool)
    }

    // Safety (@exclusivity(unchecked) in release builds): the hot mutable state is
    // touched only on the owner thread, and no access to a property overlaps another
    // access to it (nothing reached from `ring.reap`'s callback touches `ring`, and so on).
    // The dynamic exclusivity check per access (swift_beginAccess: a TLS lookup and an
    // access-set insert) would only cost time there; debug builds, and so the test
    // suite, keep it to catch a future overlap.
    #if DEBUG
    var ring: Ring
    var slots = OperationSlots<Waiter>()
    var drained: [DriverMessage] = []
    var counters = DriverStatistics()
    var shuttingDown = false
    var receiveBufferPoolState = ReceiveBufferPoolState.notCreated
    var lostCompletions = LostCompletionRecovery()
    var registeredFileSlots: RegisteredFileSlots
    /// The last poll submitted operations and reaped none (see `Parker`).
    public internal(set) var submissionsAwaitCompletion = false
    /// Ring timeouts holding timer jobs, of `slots.inUse` (they do not make `park` spin).
    var timersInFlight = 0
    /// The latest O_DIRECT reads and writes of the streams started here (`.directIOAtOnce`
    /// holds back a request that continues one of them).
    var contiguousDirectIO = ContiguousDirectIO()
    #else
    @exclusivity(unchecked) var ring: Ring
    @exclusivity(unchecked) var slots = OperationSlots<Waiter>()
    @exclusivity(unchecked) var drained: [DriverMessage] = []
    @exclusivity(unchecked) var counters = DriverStatistics()
    @exclusivity(unchecked) var shuttingDown = false
    @exclusivity(unchecked) var receiveBufferPoolState = ReceiveBufferPoolState.notCreated
    @exclusivity(unchecked) var lostCompletions = LostCompletionRecovery()
    @exclusivity(unchecked) var registeredFileSlots: RegisteredFileSlots
    /// The last poll submitted operations and reaped none (see `Parker`).
    @exclusivity(unchecked) public internal(set) var submissionsAwaitCompletion = false
    /// Ring timeouts holding timer jobs, of `slots.inUse` (they do not make `park` spin).
    @exclusivity(unchecked) var timersInFlight = 0
    /// The latest O_DIRECT reads and writes of the streams started here (`.directIOAtOnce`
    /// holds back a request that continues one of them).
    @exclusivity(unchecked) var contiguousDirectIO = ContiguousDirectIO()
    #endif
    /// Where timers go that this ring gives back (shutdown, lost CQEs); set by the runtime.
    var timerFallback: (any JobTimers)?
    let mailbox = Mailbox()
    private let wake: WakeSignal
    private let deferTaskRun: Bool
    /// Enter the kernel as each single-shot operation starts (`Submission.eachAtOnce`).
    let entersForEachOperation: Bool
    /// Enter as each O_DIRECT read or write starts, unless it continues one still in flight
    /// (`.directIOAtOnce`; `ContiguousDirectIO`).
    let entersForDirectIO: Bool
    /// How long `park` polls before it sleeps while operations are in flight (0: never).
    let spinBeforeParking: Duration
    let index: Int
    let receiveBufferPoolConfiguration: ReceiveBufferPoolConfiguration
    /// The runtime's fixed buffers, held so their memory outlives this ring's registration.
    let fixedBufferPool: FixedBufferPool?
    /// Where they lie when this ring registered them; `.none` otherwise.
    let fixedBufferRegion: FixedBufferRegion

    /// Sets up the ring and the eventfd on the calling thread and makes this the
    /// thread's driver.
    package init(
        index: Int, options: RingOptions,
        receiveBufferPool: ReceiveBufferPoolConfiguration = ReceiveBufferPoolConfiguration(),
        fixedBuffers: FixedBufferPool? = nil,
        registeredFiles: RegisteredFiles? = nil,
        submission: URingRuntime.Submission = .directIOAtOnce,
        spinBeforeParking: Duration = .zero
    ) throws {
        self.spinBeforeParking = spinBeforeParking
        entersForEachOperation = submission == .eachAtOnce
        entersForDirectIO = submission == .directIOAtOnce
        var ring = try Ring(options: options)
        // Every ring of the runtime registers the same buffers at the same indexes. A ring
        // that cannot (emulated: EINVAL; out of locked memory: ENOMEM) reads and writes
        // that memory with the plain opcodes.
        if let fixedBuffers {
            do throws(Errno) {
                try ring.registerBuffers(fixedBuffers.buffers)
                fixedBuffers.ringRegistered()
                fixedBufferRegion = fixedBuffers.region
            } catch {
                fixedBuffers.ringRefused(error)
                fixedBufferRegion = .none
            }
        } else {
            fixedBufferRegion = .none
        }
        fixedBufferPool = fixedBuffers
        // Every ring of the runtime sets up a table of the same size, filled per file on
        // first use (RegisteredFiles.swift). A ring that cannot uses plain descriptors.
        if let registeredFiles, registeredFiles.capacity > 0 {
            do throws(Errno) {
                try ring.registerSparseFiles(count: registeredFiles.capacity)
                registeredFiles.ringRegistered()
                registeredFileSlots = RegisteredFileSlots(
                    table: registeredFiles.identifier, installed: Array(repeating: 0, count: registeredFiles.capacity))
            } catch {
                registeredFiles.ringRefused(error)
                registeredFileSlots = .none
            }
        } else {
            registeredFileSlots = .none
        }
        // What the ring got: an older kernel may have refused DEFER_TASKRUN.
        self.deferTaskRun = ring.options.deferTaskRun
        self.wake = try WakeSignal()
        self.ring = ring
        self.index = index
        self.receiveBufferPoolConfiguration = receiveBufferPool
        try armWakeRead()
        CurrentDriver.register(self)
    }

    deinit {
        // The ring's deinit (after this body) tears down any pending eventfd read first.
        wake.close()
        // The ring is still alive in this body: take the kernel off the pool's memory
        // before the pool can be freed.
        receiveBufferPoolIfCreated?.unregister(from: &ring)
    }

    /// Counters of this driver (owner thread only).
    package var statistics: DriverStatistics {
        var result = counters
        result.worker = index
        result.staleCompletions = slots.staleCompletions
        result.operationsInFlight = slots.inUse
        result.providedBuffersInUse = receiveBufferPoolIfCreated?.inUse ?? 0
        result.providedBuffersRegistered = receiveBufferPoolIfCreated != nil
        result.fixedBuffersRegistered = fixedBufferRegion.end > fixedBufferRegion.start
        result.registeredFilesAvailable = registeredFileSlots.table != 0
        result.ring = ring.statistics
        return result
    }

    /// Operations whose CQEs have not all arrived yet (owner thread only).
    package var operationsInFlight: Int { slots.inUse }

    /// Operations completed since the driver started (owner thread only; see `Parker`).
    package var operationsCompleted: Int { counters.operationsCompleted }

    /// Keeps a read of the wake eventfd armed in the ring.
    private func armWakeRead() throws(Errno) {
        let entry = try ring.nextEntry()
        // The ring's pinned scratch outlives any pending read: it is freed after teardown.
        let target = UnsafeMutableRawBufferPointer(rebasing: ring.pinnedScratch[..<8])
        entry.read(FileDescriptor(rawValue: wake.descriptor), into: target, at: 0)
        entry.userData = UserData.eventFDWake.rawValue
    }

    // MARK: Parker

    /// Delivers what is ready without blocking: drains the mailbox, submits queued SQEs in
    /// one enter, reaps every CQE and resumes the waiters (owner thread only).
    package func poll() {
        receiveBufferPoolIfCreated?.replenish()
        drainMailbox()
        let submitted = ring.pendingSubmissions > 0
        if submitted || (deferTaskRun && slots.inUse > 0) {
            enter(.submit(getEvents: deferTaskRun))
        }
        let completedBefore = counters.operationsCompleted
        reapCompletions()
        submissionsAwaitCompletion = submitted && counters.operationsCompleted == completedBefore
        if lostCompletions.isSettling { resolveLostSuspects() }
    }

    /// Sleeps in the ring until a CQE, an `unpark()`, or `deadline` (nil: no limit), then
    /// reaps and resumes; returns at once if an `unpark()` came first (owner thread only).
    package func park(deadline: ContinuousClock.Instant?) {
        if wake.takeNotification() {
            poll()
            return
        }
        drainMailbox()
        guard wake.beginPark() else {
            // Notified between the two checks.
            poll()
            return
        }
        counters.parks += 1
        receiveBufferPoolIfCreated?.replenish()
        // Not while settling operations whose CQE may be lost: that park must come back
        // within the settling grace, whatever the polling time.
        if spinBeforeParking > .zero && slots.inUse > timersInFlight && !lostCompletions.isSettling
            && !readyWithoutWaiting() && spin(until: deadline)
        {
            // A completion or a wake-up came while polling: no sleep.
        } else {
            var timeout = deadline.map { max($0 - ContinuousClock.now, .zero) }
            if readyWithoutWaiting() {
                timeout = .zero
            } else {
                // Come back in time to settle operations whose CQE may have been lost.
                timeout = lostCompletions.parkTimeout(timeout)
            }
            enter(timeout == .zero ? .submit(getEvents: true) : .wait(timeout: timeout))
        }
        wake.endPark()
        reapCompletions()
        drainMailbox()
    }

    /// Polls the ring for up to `spinBeforeParking` (never past `deadline`); true when a
    /// CQE is ready (an operation's, or that of the eventfd read an `unpark()` completes:
    /// the state is PARKED here, so a waker writes the eventfd). Most CQEs show only after
    /// their completion work ran on this thread, in the kernel: with TASKRUN_FLAG the
    /// kernel says when there is some, and the loop enters only then (and to submit what
    /// is queued); without it, every poll enters.
    private func spin(until deadline: ContinuousClock.Instant?) -> Bool {
        counters.spinningParks += 1
        var end = ContinuousClock.now + spinBeforeParking
        if let deadline, deadline < end { end = deadline }
        let kernelFlagsWork = ring.setupFlags.contains(.taskRunFlag)
        repeat {
            if !kernelFlagsWork || ring.taskWorkPending || ring.pendingSubmissions > 0 {
                enter(.submit(getEvents: true))
            }
            if readyWithoutWaiting() {
                counters.spinsEndedByWork += 1
                return true
            }
            curing_cpu_relax()
        } while ContinuousClock.now < end
        return false
    }

    /// Wakes the owner if it is parked (one eventfd write), or makes its next `park` return
    /// at once. Safe from any thread.
    package func unpark() {
        wake.notify()
    }

    /// CQEs already posted or mail already waiting: parking would only delay them.
    private func readyWithoutWaiting() -> Bool {
        ring.readyCompletions > 0 || ring.hasBacklog
    }

    enum EnterMode {
        case submit(getEvents: Bool)
        case wait(timeout: Duration?)
    }

    /// Submits, and maybe waits. A ring that reports itself unusable (wrong thread, torn
    /// down) is a bug in this driver, not a condition a caller could handle.
    func enter(_ mode: EnterMode) {
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

    // MARK: Completion (owner thread)

    func reapCompletions() {
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
                probeAnswered(probe, result: completion.result)
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
            do { try armWakeRead() } catch { fatalError("cannot re-arm the wake eventfd on worker \(index): \(error)") }
        }
    }

    /// Hands an operation's outcome to whoever waits for it.
    func resume(_ waiter: Waiter, _ outcome: OperationOutcome) {
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
            timersInFlight -= 1
            if outcome.shutdown || outcome.completionsLost, let timerFallback {
                // A shutdown (or a lost-CQE probe) cut the timer short: keep its deadline;
                // the fallback timers fire it then.
                _ = timerFallback.schedule(job, at: deadline.instant)
            } else {
                executor.enqueueTimerWakeUp(job)
            }
        case .multishot(let operation):
            operation.finish(outcome)
        }
    }

    // MARK: Shutdown (owner thread)

    /// Cancels every operation in flight and waits, up to `limit`, for their CQEs; each
    /// waiter resumes (with a shutdown outcome). Operations started later are refused.
    /// Returns the number still in flight when `limit` passed (0 unless the kernel hangs).
    @discardableResult
    package func shutdown(within limit: Duration = .seconds(5)) -> Int {
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
            receiveBufferPoolIfCreated?.unregister(from: &ring)
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
        receiveBufferPoolIfCreated?.unregister(from: &ring)
        ring.close()
        wake.close()
    }

    /// Whether `closeDescriptors()` (or deinit) closed the wake eventfd; any thread.
    var descriptorsClosed: Bool { wake.isClosed }
}
