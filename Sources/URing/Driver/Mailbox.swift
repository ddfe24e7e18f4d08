// Messages other threads leave for a driver: cancellations and submissions from
// threads that own no ring. Any thread may post; only the driver's thread drains.
// Posting does not wake the driver: the poster calls `CompletionDriver.unpark()`.

import Dispatch
import Synchronization
import URingExecutor

enum DriverMessage: @unchecked Sendable {
    // @unchecked: RemoteSubmission's mutable state is touched only by the target driver's thread.
    /// Cancel the operation in this slot of this driver.
    case cancel(SlotTicket)
    /// Start an operation for a caller on a thread with no driver.
    case startRemote(RemoteSubmission)
    /// Start an operation whose slot was reserved on the driver's thread by a task that
    /// then found itself on another thread.
    case startReserved(RemoteSubmission, SlotTicket)
    /// Start a multishot operation for a caller on another thread.
    case startMultishot(any MultishotOperation)
    /// The caller of a remote submission was cancelled.
    case cancelRemote(RemoteSubmission)
    /// The runtime is shutting down: cancel and drain everything, then signal the latch.
    case shutdown(DispatchSemaphore)
    /// Empty a registered file's slot in this ring's table, if it still holds that file.
    case removeRegisteredFile(RegisteredFileRemoval)
    /// Report this driver's counters (read on its thread) to the request.
    case statistics(StatisticsRequest)
}

final class Mailbox: Sendable {
    private let messages = ThreadLock<(queued: [DriverMessage], closed: Bool)>(([], false))
    private let hasMail = Atomic<Bool>(false)

    /// Leaves `message` for the driver; false once the mailbox is closed (the driver
    /// has shut down and will never read it): the poster must then answer it itself.
    func post(_ message: DriverMessage) -> Bool {
        let accepted = messages.withLock { mailbox in
            guard !mailbox.closed else { return false }
            mailbox.queued.append(message)
            return true
        }
        if accepted { hasMail.store(true, ordering: .releasing) }
        return accepted
    }

    /// Closes the mailbox for good and returns what was still in it.
    func close() -> [DriverMessage] {
        messages.withLock { mailbox in
            mailbox.closed = true
            defer { mailbox.queued = [] }
            return mailbox.queued
        }
    }

    /// Moves every posted message into `into` (which keeps its capacity between drains).
    func drain(into buffer: inout [DriverMessage]) {
        guard hasMail.load(ordering: .acquiring) else { return }
        hasMail.store(false, ordering: .relaxed)
        messages.withLock { swap(&$0.queued, &buffer) }
    }
}

/// An operation started from a thread that owns no ring; boxed so it can travel.
class RemoteSubmission: @unchecked Sendable {
    // @unchecked: `ticket` and `cancelled` are read and written only on the target
    // driver's thread, in mailbox order; `continuation` is resumed exactly once there.
    var ticket: SlotTicket?
    var cancelled = false
    let continuation: UnsafeContinuation<OperationOutcome, Never>
    let deadline: ClockDeadline?

    init(continuation: UnsafeContinuation<OperationOutcome, Never>, deadline: ClockDeadline?) {
        self.continuation = continuation
        self.deadline = deadline
    }

    /// Starts the operation on `driver`'s thread in the reserved `ticket`.
    func start(on driver: CompletionDriver, ticket: SlotTicket) {
        fatalError("RemoteSubmission.start must be overridden")
    }
}

final class RemoteOperation<Operation: RingOperation>: RemoteSubmission, @unchecked Sendable {
    // @unchecked: the operation's pointers stay valid because its caller awaits the CQE.
    let operation: Operation

    init(_ operation: Operation, continuation: UnsafeContinuation<OperationOutcome, Never>, deadline: ClockDeadline?) {
        self.operation = operation
        super.init(continuation: continuation, deadline: deadline)
    }

    override func start(on driver: CompletionDriver, ticket: SlotTicket) {
        driver.start(operation, ticket: ticket, deadline: deadline, continuation: continuation)
    }
}
