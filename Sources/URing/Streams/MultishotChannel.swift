// The meeting point of a multishot operation's CQEs and the task consuming them, as a
// value-level state machine (tested without a ring; its owner wraps it in a lock).
//
// Two sides, each with its own events:
// - the ring: `arming(ticket)` (the SQE is about to be submitted), `deliver` (a CQE with
//   IORING_CQE_F_MORE), `finish` (the last CQE; the operation is over);
// - the consumer: `next()`, `wait(waiter)` (suspend until something arrives), `leave()`
//   (it stopped iterating: task cancelled, iterator dropped).
// The ring is armed lazily, by the first `next()` that finds nothing buffered, and
// re-armed the same way when it ends without an error. An operation that ends with a
// transient error (`finish(..., transient: true)`) does not end the sequence: the
// consumer gets `.interrupted` once (after what is buffered) and its next `next()`
// re-arms, so the consumer decides how long to back off first. Once the consumer has left,
// every element still buffered or delivered later is handed back to be discarded (for
// accept: closed), and an armed operation is to be cancelled.

/// What the consumer gets from one `next()`.
enum MultishotResult<Element> {
    case element(Element)
    /// The operation ended with an error; the sequence is over.
    case failure(any Error)
    /// The sequence is over.
    case end
    /// The consumer left while it waited (its task was cancelled).
    case cancelled
    /// The operation ended with a transient error; the sequence goes on: the next
    /// `next()` arms it again (back off first).
    case interrupted(any Error)
}

extension MultishotResult: Sendable where Element: Sendable {}

struct MultishotChannel<Element, Waiter> {
    private enum Ring {
        /// Not in the kernel; the next `next()` that finds nothing buffered arms it.
        case idle
        /// Asked to start; `arming` comes next (or `finish`, if it could not start).
        case arming
        /// In the kernel under this slot.
        case armed(SlotTicket)
    }

    private var ring = Ring.idle
    private var buffer: [Element] = []
    private var waiter: Waiter?
    private var failure: (any Error)?
    /// A transient error not yet handed to the consumer.
    private var interruption: (any Error)?
    private var finished = false
    private var left = false

    init() {}

    enum NextAction {
        /// Hand this to the consumer now.
        case ready(MultishotResult<Element>)
        /// Suspend in `wait`; with `arm`, first start the operation.
        case wait(arm: Bool)
    }

    /// The consumer asks for the next element.
    mutating func next() -> NextAction {
        if left || finished { return .ready(.end) }
        if !buffer.isEmpty { return .ready(.element(buffer.removeFirst())) }
        if let failure {
            finished = true
            return .ready(.failure(failure))
        }
        if let interruption {
            self.interruption = nil
            return .ready(.interrupted(interruption))
        }
        guard case .idle = ring else { return .wait(arm: false) }
        ring = .arming
        return .wait(arm: true)
    }

    enum WaitAction {
        /// Something arrived since `next()`: resume at once with it.
        case resume(MultishotResult<Element>)
        /// The waiter is stored; a later event resumes it.
        case suspended
    }

    /// The consumer suspends after `next()` said `wait`.
    mutating func wait(_ newWaiter: Waiter) -> WaitAction {
        precondition(waiter == nil, "Internal inconsistency: two consumers wait on one multishot channel")
        if left { return .resume(.cancelled) }
        if !buffer.isEmpty { return .resume(.element(buffer.removeFirst())) }
        if let failure {
            finished = true
            return .resume(.failure(failure))
        }
        if let interruption {
            self.interruption = nil
            return .resume(.interrupted(interruption))
        }
        if finished { return .resume(.end) }
        waiter = newWaiter
        return .suspended
    }

    /// The operation's SQE is about to go to the kernel in `ticket`; false when the
    /// consumer left meanwhile (then nothing is submitted and `finish` follows).
    mutating func arming(_ ticket: SlotTicket) -> Bool {
        guard !left else { return false }
        ring = .armed(ticket)
        return true
    }

    enum DeliverAction {
        case resume(Waiter, MultishotResult<Element>)
        case buffered
        /// Nobody will take it: release it (close the descriptor).
        case discard(Element)
    }

    /// A CQE with F_MORE carried `element`.
    mutating func deliver(_ element: Element) -> DeliverAction {
        if left || finished { return .discard(element) }
        if let waiter {
            self.waiter = nil
            return .resume(waiter, .element(element))
        }
        buffer.append(element)
        return .buffered
    }

    enum FinishAction {
        case none
        case resume(Waiter, MultishotResult<Element>)
        case discard(Element)
        /// The consumer waits and the operation ended quietly: start it again.
        case rearm
    }

    /// The last CQE arrived (or the operation could not start): it may carry a final
    /// element, or the error that ended it. A `transient` error ends the arming, not the
    /// sequence: the consumer sees `.interrupted` and re-arms with its next `next()`.
    mutating func finish(last: Element?, failure newFailure: (any Error)?, transient: Bool = false) -> FinishAction {
        ring = .idle
        if let last {
            switch deliver(last) {
            case .resume(let waiter, let result): return .resume(waiter, result)
            case .discard(let element): return .discard(element)
            case .buffered: return .none
            }
        }
        if left || finished { return .none }
        if let newFailure, transient {
            if let waiter {
                self.waiter = nil
                return .resume(waiter, .interrupted(newFailure))
            }
            interruption = newFailure
            return .none
        }
        if let newFailure {
            if let waiter {
                self.waiter = nil
                finished = true
                return .resume(waiter, .failure(newFailure))
            }
            failure = newFailure
            return .none
        }
        guard waiter != nil else { return .none }
        ring = .arming
        return .rearm
    }

    struct LeaveAction {
        /// Resume with `.cancelled`.
        var waiter: Waiter?
        /// Buffered elements nobody will take.
        var discarded: [Element]
        /// Submit an ASYNC_CANCEL for this slot.
        var cancel: SlotTicket?
    }

    /// The consumer stopped iterating.
    mutating func leave() -> LeaveAction {
        guard !left else { return LeaveAction(waiter: nil, discarded: [], cancel: nil) }
        left = true
        var action = LeaveAction(waiter: waiter, discarded: buffer, cancel: nil)
        waiter = nil
        buffer = []
        if case .armed(let ticket) = ring { action.cancel = ticket }
        return action
    }
}
