// The per-ring slab of operation slots and each slot's lifecycle.
//
// Owner: the driver's worker thread; nothing here is thread-safe, and nothing needs to
// be: reservations and submissions happen on that thread, and cancellations and CQEs are
// applied there too (cancellations arrive through the driver's mailbox).
//
// A slot owns what the kernel may touch for its operation (the waiter, two inline
// timespecs, and a keep-alive reference for heap data such as paths) from reservation
// until its last CQE, also after a cancellation. Slots live in fixed chunks that never
// move, so pointers into a slot stay valid while it is in use.
//
// Lifecycle (a value-level state machine, tested without a ring):
//   single-shot: free -> reserved -> inFlight(pending) -> [cancelling(pending)] -> free
//   multishot:   free -> reserved -> armed -> [disarming] -> free
// A multishot slot stays armed across CQEs that carry IORING_CQE_F_MORE (each is
// delivered to its waiter) and is freed by the first CQE without it.
// Each transition returns what the driver must do; a ticket whose generation does not
// match is stale and every action on it is `ignore`.

import CLiburing

/// Names one use of one slot.
struct SlotTicket: Hashable, Sendable {
    var index: UInt32
    var generation: UInt32
}

enum SlotState: Equatable {
    case free
    case reserved
    /// Submitted; `pending` CQEs (1, or 2 with a linked timeout) still to come.
    case inFlight(pending: Int)
    /// An ASYNC_CANCEL was issued; still waiting for `pending` CQEs.
    case cancelling(pending: Int)
    /// A multishot operation in the kernel: CQEs with F_MORE are delivered, the first
    /// one without F_MORE ends it.
    case armed
    /// A multishot operation with an ASYNC_CANCEL issued; CQEs are handled as in `armed`.
    case disarming
}

struct OperationSlot<Waiter> {
    var generation: UInt32 = 0
    var state: SlotState = .free
    var nextFree: Int32 = -1
    var waiter: Waiter?
    var outcome = OperationOutcome.empty
    /// Storage the kernel reads for a timeout or sleep (IORING_OP_TIMEOUT).
    var time = __kernel_timespec()
    /// Storage the kernel reads for a linked timeout (IORING_OP_LINK_TIMEOUT).
    var deadline = __kernel_timespec()
    /// Heap memory the kernel touches (a path, a statx buffer); released at the last CQE.
    var keepAlive: AnyObject?
}

enum CompletionAction<Waiter> {
    /// Stale, unknown or reserved: drop it (the driver counts these).
    case ignore
    /// More CQEs are due for this slot.
    case wait
    /// The operation is over: resume its waiter with the outcome. The slot is free again.
    case resume(Waiter, OperationOutcome)
    /// A multishot CQE with more to come: hand it to the waiter; the slot stays armed.
    case deliver(Waiter, result: Int32, flags: UInt32)
}

enum CancelAction: Equatable {
    /// Stale ticket, or already cancelling: nothing to do.
    case ignore
    /// Submit IORING_OP_ASYNC_CANCEL for this user_data.
    case submitCancel(UserData)
}

struct OperationSlots<Waiter>: ~Copyable {
    private static var chunkSize: Int { 64 }
    // Safety: each chunk is allocated and initialised once, never moves, and is
    // deinitialised and freed only in deinit; the slab owns it exclusively.
    private var chunks: [UnsafeMutablePointer<OperationSlot<Waiter>>] = []
    private var freeHead: Int32 = -1
    private(set) var inUse = 0
    /// CQEs dropped because their generation or kind did not match.
    private(set) var staleCompletions = 0

    init() {}

    deinit {
        for chunk in chunks {
            chunk.deinitialize(count: Self.chunkSize)
            chunk.deallocate()
        }
    }

    var capacity: Int { chunks.count * Self.chunkSize }

    // Safety: `index` came from this slab (a reserved ticket or a masked CQE index that
    // was bounds-checked), so it names an initialised slot in a live chunk.
    private func slot(_ index: Int) -> UnsafeMutablePointer<OperationSlot<Waiter>> {
        chunks[index / Self.chunkSize] + index % Self.chunkSize
    }

    /// Takes a free slot (growing the slab by a chunk when none is free).
    mutating func reserve() -> SlotTicket {
        if freeHead < 0 { grow() }
        let index = Int(freeHead)
        let slot = slot(index)
        freeHead = slot.pointee.nextFree
        slot.pointee.state = .reserved
        slot.pointee.outcome = .empty
        inUse += 1
        return SlotTicket(index: UInt32(index), generation: slot.pointee.generation)
    }

    private mutating func grow() {
        let base = capacity
        let chunk = UnsafeMutablePointer<OperationSlot<Waiter>>.allocate(capacity: Self.chunkSize)
        chunk.initialize(repeating: OperationSlot(), count: Self.chunkSize)
        for offset in 0..<Self.chunkSize {
            chunk[offset].nextFree = offset + 1 < Self.chunkSize ? Int32(base + offset + 1) : freeHead
        }
        chunks.append(chunk)
        freeHead = Int32(base)
    }

    private func live(_ ticket: SlotTicket) -> UnsafeMutablePointer<OperationSlot<Waiter>>? {
        guard Int(ticket.index) < capacity else { return nil }
        let slot = slot(Int(ticket.index))
        guard slot.pointee.generation & UserData.generationMask == ticket.generation & UserData.generationMask,
            slot.pointee.state != .free
        else { return nil }
        return slot
    }

    /// Whether `ticket`'s operation was submitted and its last CQE has not been reaped.
    func isInFlight(_ ticket: SlotTicket) -> Bool {
        guard let slot = live(ticket) else { return false }
        switch slot.pointee.state {
        case .inFlight, .cancelling: return true
        case .free, .reserved, .armed, .disarming: return false
        }
    }

    /// Pointer to the slot's inline timespec for IORING_OP_TIMEOUT.
    func timePointer(_ ticket: SlotTicket) -> UnsafeMutablePointer<__kernel_timespec> {
        slot(Int(ticket.index)).pointer(to: \.time)!
    }

    /// Pointer to the slot's inline timespec for IORING_OP_LINK_TIMEOUT.
    func deadlinePointer(_ ticket: SlotTicket) -> UnsafeMutablePointer<__kernel_timespec> {
        slot(Int(ticket.index)).pointer(to: \.deadline)!
    }

    /// Keeps `object` alive until the slot's last CQE.
    func retain(_ object: AnyObject, for ticket: SlotTicket) {
        slot(Int(ticket.index)).pointee.keepAlive = object
    }

    /// Records that `ticket`'s SQEs went to the ring: `completions` CQEs will come.
    mutating func submitted(_ ticket: SlotTicket, waiter: Waiter, completions: Int) {
        guard let slot = live(ticket), slot.pointee.state == .reserved else {
            fatalError("Internal inconsistency: submitting slot \(ticket) in a state other than reserved")
        }
        slot.pointee.waiter = waiter
        slot.pointee.state = .inFlight(pending: completions)
    }

    /// Records that `ticket`'s multishot SQE went to the ring (no linked timeout).
    mutating func armed(_ ticket: SlotTicket, waiter: Waiter) {
        guard let slot = live(ticket), slot.pointee.state == .reserved else {
            fatalError("Internal inconsistency: arming slot \(ticket) in a state other than reserved")
        }
        slot.pointee.waiter = waiter
        slot.pointee.state = .armed
    }

    /// Gives back a reserved slot that was never submitted, resuming nobody.
    mutating func abandon(_ ticket: SlotTicket) {
        guard let slot = live(ticket), slot.pointee.state == .reserved else {
            fatalError("Internal inconsistency: abandoning slot \(ticket) that is not reserved")
        }
        release(slot, index: ticket.index)
    }

    /// A cancellation request for `ticket` reached the owner thread. For a slot not yet
    /// submitted it is remembered, and `isCancelRequested` tells the submitter to stop.
    mutating func cancel(_ ticket: SlotTicket, shutdown: Bool = false) -> CancelAction {
        guard let slot = live(ticket) else { return .ignore }
        if shutdown { slot.pointee.outcome.shutdown = true }
        switch slot.pointee.state {
        case .inFlight(let pending):
            slot.pointee.state = .cancelling(pending: pending)
            slot.pointee.outcome.cancelRequested = true
            return .submitCancel(UserData(kind: .operation, ticket: ticket))
        case .armed:
            slot.pointee.state = .disarming
            slot.pointee.outcome.cancelRequested = true
            return .submitCancel(UserData(kind: .operation, ticket: ticket))
        case .reserved:
            slot.pointee.outcome.cancelRequested = true
            return .ignore
        case .free, .cancelling, .disarming:
            return .ignore
        }
    }

    /// Whether a cancellation reached `ticket` while it was only reserved.
    func isCancelRequested(_ ticket: SlotTicket) -> (cancelled: Bool, shutdown: Bool) {
        guard let slot = live(ticket) else { return (false, false) }
        return (slot.pointee.outcome.cancelRequested, slot.pointee.outcome.shutdown)
    }

    /// A CQE arrived for `userData`.
    mutating func complete(_ userData: UserData, result: Int32, flags: UInt32) -> CompletionAction<Waiter> {
        guard let kind = userData.kind, kind != .reserved, let slot = live(userData.ticket) else {
            staleCompletions += 1
            return .ignore
        }
        let pending: Int
        switch slot.pointee.state {
        case .inFlight(let count), .cancelling(let count): pending = count
        case .armed, .disarming:
            return completeMultishot(slot, userData: userData, result: result, flags: flags)
        case .free, .reserved:
            staleCompletions += 1
            return .ignore
        }
        switch kind {
        case .operation:
            slot.pointee.outcome.result = result
            slot.pointee.outcome.flags = flags
        case .linkedTimeout:
            // ETIME: the timeout fired and cancelled the operation it guards.
            if result == -ETIME { slot.pointee.outcome.timedOut = true }
        case .lostProbe:
            // The driver handles probes itself; one reaching here names no operation CQE.
            staleCompletions += 1
            return .ignore
        case .reserved:
            fatalError("unreachable: reserved tags are filtered above")
        }
        if pending > 1 {
            if case .cancelling = slot.pointee.state {
                slot.pointee.state = .cancelling(pending: pending - 1)
            } else {
                slot.pointee.state = .inFlight(pending: pending - 1)
            }
            return .wait
        }
        let waiter = slot.pointee.waiter!
        let outcome = slot.pointee.outcome
        release(slot, index: userData.ticket.index)
        return .resume(waiter, outcome)
    }

    private mutating func completeMultishot(
        _ slot: UnsafeMutablePointer<OperationSlot<Waiter>>, userData: UserData, result: Int32, flags: UInt32
    ) -> CompletionAction<Waiter> {
        guard userData.kind == .operation else {
            staleCompletions += 1
            return .ignore
        }
        if flags & IORING_CQE_F_MORE != 0 {
            return .deliver(slot.pointee.waiter!, result: result, flags: flags)
        }
        slot.pointee.outcome.result = result
        slot.pointee.outcome.flags = flags
        let waiter = slot.pointee.waiter!
        let outcome = slot.pointee.outcome
        release(slot, index: userData.ticket.index)
        return .resume(waiter, outcome)
    }

    private mutating func release(_ slot: UnsafeMutablePointer<OperationSlot<Waiter>>, index: UInt32) {
        slot.pointee.waiter = nil
        slot.pointee.keepAlive = nil
        slot.pointee.state = .free
        slot.pointee.generation = (slot.pointee.generation &+ 1) & UserData.generationMask
        slot.pointee.nextFree = freeHead
        freeHead = Int32(index)
        inUse -= 1
    }

    /// CQEs were dropped: marks `ticket`'s operation (if in the kernel) as affected and
    /// returns the user_data to cancel, so the cancel's result tells whether the kernel
    /// still has it (ENOENT: it does not, and its CQE may be lost).
    mutating func probeLost(_ ticket: SlotTicket) -> UserData? {
        guard let slot = live(ticket) else { return nil }
        switch slot.pointee.state {
        case .inFlight(let pending):
            slot.pointee.state = .cancelling(pending: pending)
        case .armed:
            slot.pointee.state = .disarming
        case .cancelling, .disarming:
            break
        case .free, .reserved:
            return nil
        }
        slot.pointee.outcome.completionsLost = true
        return UserData(kind: .operation, ticket: ticket)
    }

    /// Ends `ticket`'s operation whose CQE the kernel dropped: its waiter resumes with an
    /// outcome that says so. `.ignore` if it completed after all.
    mutating func resolveLost(_ ticket: SlotTicket) -> CompletionAction<Waiter> {
        guard let slot = live(ticket) else { return .ignore }
        switch slot.pointee.state {
        case .inFlight, .cancelling, .armed, .disarming:
            break
        case .free, .reserved:
            return .ignore
        }
        slot.pointee.outcome.result = -EBADR
        slot.pointee.outcome.completionsLost = true
        let waiter = slot.pointee.waiter!
        let outcome = slot.pointee.outcome
        release(slot, index: ticket.index)
        return .resume(waiter, outcome)
    }

    /// Tickets of every slot whose operation is in the kernel (for shutdown).
    func inFlightTickets() -> [SlotTicket] {
        var tickets: [SlotTicket] = []
        for index in 0..<capacity {
            let slot = slot(index)
            switch slot.pointee.state {
            case .inFlight, .cancelling, .armed, .disarming:
                tickets.append(SlotTicket(index: UInt32(index), generation: slot.pointee.generation))
            case .free, .reserved:
                continue
            }
        }
        return tickets
    }
}
