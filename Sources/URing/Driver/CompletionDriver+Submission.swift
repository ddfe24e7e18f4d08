// What the driver submits for its own thread's callers: single-shot operations (with an
// optional linked deadline), multishot operations, ring timers for sleeping jobs, and
// the ring's receive buffer pool that multishot receives draw from. Owner thread only;
// a call that finds itself on another thread is forwarded through the mailbox.

import CLiburing
import Glibc
import URingExecutor

extension CompletionDriver {
    /// Reserves a slot for an operation about to start on this thread.
    @inline(__always)
    func reserve() -> SlotTicket { slots.reserve() }

    /// Starts `operation` in the reserved `ticket`; its waiter is resumed from a CQE, or
    /// at once when it was cancelled before reaching the ring or the ring refused it.
    /// `directIO`: an O_DIRECT read or write, which enters the kernel at once unless the
    /// runtime batches everything (`URingRuntime.Submission`) or it continues a recent one
    /// while that is in flight (`ContiguousDirectIO`).
    func start<Operation: RingOperation>(
        _ operation: Operation, ticket: SlotTicket, deadline: ClockDeadline?,
        continuation: UnsafeContinuation<OperationOutcome, Never>, directIO: Bool = false
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
            let left = deadline.remaining
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
            if operation.prepare(entry, time: slots.timePointer(ticket), fixedBuffers: fixedBufferRegion) {
                counters.fixedBufferOperations += 1
            }
            let registeredFile = operation.registeredFile
            if registeredFile.handle != 0, let slot = registeredFileSlot(registeredFile) {
                entry.useRegisteredFile(slot)
            }
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
            if entersForEachOperation {
                enter(.submit(getEvents: false))
            } else if directIO && entersForDirectIO {
                // A read or write continuing one still in flight waits for this worker's
                // next enter, where the block layer can merge it with its neighbours.
                if let access = entry.fileAccess, let previous = contiguousDirectIO.start(access, ticket: ticket),
                    slots.isInFlight(previous)
                {
                    counters.contiguousDirectIOBatched += 1
                } else {
                    enter(.submit(getEvents: false))
                }
            }
        } catch {
            slots.abandon(ticket)
            var outcome = OperationOutcome.empty
            outcome.result = -error.rawValue
            continuation.resume(returning: outcome)
        }
    }

    // MARK: Registered files

    /// The slot of this ring's file table that holds `use`'s file, installing it on first
    /// use; nil when this ring has no table of that runtime or the kernel refused.
    @inline(__always)
    func registeredFileSlot(_ use: RegisteredFileUse) -> Int? {
        guard RegisteredFileUse.table(of: use.handle) == registeredFileSlots.table else { return nil }
        let slot = RegisteredFileUse.slot(of: use.handle)
        let generation = RegisteredFileUse.generation(of: use.handle)
        if registeredFileSlots.installed[slot] != generation {
            do throws(Errno) {
                try ring.updateRegisteredFile(at: slot, to: use.descriptor)
            } catch {
                counters.registeredFileRefusals += 1
                return nil
            }
            registeredFileSlots.installed[slot] = generation
            counters.registeredFileInstalls += 1
        }
        counters.registeredFileOperations += 1
        return slot
    }

    /// Empties `removal`'s slot in this ring's table if this ring still holds that
    /// registration there (a later file may already have replaced it).
    func removeRegisteredFile(_ removal: RegisteredFileRemoval) {
        let handle = removal.handle
        guard RegisteredFileUse.table(of: handle) == registeredFileSlots.table else { return }
        let slot = RegisteredFileUse.slot(of: handle)
        guard registeredFileSlots.installed[slot] == RegisteredFileUse.generation(of: handle) else { return }
        registeredFileSlots.installed[slot] = 0
        // Cannot fail for a slot inside the table; if it did, the ring would keep its
        // reference to the file until the slot is reused or the ring closes.
        try? ring.updateRegisteredFile(at: slot, to: -1)
        counters.registeredFileRemovals += 1
    }

    // MARK: Multishot

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

    // MARK: Timers

    /// Holds `job` in a ring timeout (IORING_OP_TIMEOUT) until `deadline`; false if this
    /// ring cannot (it is shutting down), and the caller keeps the job elsewhere.
    func startTimer(_ job: UnownedJob, at deadline: ContinuousClock.Instant, executor: URingExecutor) -> Bool {
        guard !shuttingDown else { return false }
        let ticket = slots.reserve()
        do throws(Errno) {
            let entry = try ring.nextEntry()
            let time = slots.timePointer(ticket)
            // Relative to now: the kernel's clocks and ContinuousClock need not agree on epochs.
            time.pointee = __kernel_timespec(deadline - ContinuousClock.now)
            entry.timeout(time)
            entry.userData = UserData(kind: .operation, ticket: ticket).rawValue
            let waiter = Waiter.timer(job, deadline: ClockDeadline(deadline), executor: executor)
            slots.submitted(ticket, waiter: waiter, completions: 1)
            timersInFlight += 1
            counters.operationsStarted += 1
            return true
        } catch {
            slots.abandon(ticket)
            return false
        }
    }

    // MARK: Receive buffer pool

    /// The pool if this ring has one already (no set-up).
    var receiveBufferPoolIfCreated: ReceiveBufferPool? {
        if case .registered(let pool) = receiveBufferPoolState { return pool }
        return nil
    }

    /// This ring's receive buffer pool, set up on first use; nil when it is turned off
    /// or the kernel refused it (then receives stay plain recv calls).
    var receiveBufferPool: ReceiveBufferPool? {
        switch receiveBufferPoolState {
        case .registered(let pool):
            return pool
        case .unavailable:
            return nil
        case .notCreated:
            guard !shuttingDown else { return nil }
            let configuration = receiveBufferPoolConfiguration
            guard configuration.count > 0 else {
                receiveBufferPoolState = .unavailable
                return nil
            }
            do throws(Errno) {
                let pool = try ReceiveBufferPool(count: configuration.count, bufferSize: configuration.bufferSize)
                try pool.register(with: &ring)
                receiveBufferPoolState = .registered(pool)
                return pool
            } catch {
                receiveBufferPoolState = .unavailable
                return nil
            }
        }
    }

    /// A multishot receive ended for lack of buffers.
    func noteReceiveBuffersExhausted() {
        counters.receiveBufferExhaustions += 1
    }
}
