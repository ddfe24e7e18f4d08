// What the kernel reported for one operation, gathered by its slot from its CQEs (the
// operation's own, and a linked timeout's) and handed to the waiter with the last one.
// A plain value; Operations/OperationOutcome+Result.swift turns it into what the caller
// gets (a count, a descriptor, or the error).

import CLiburing
import Glibc

/// What the kernel reported for an operation, gathered from its CQEs.
struct OperationOutcome: Sendable, Equatable {
    /// The main CQE's result (count, fd, or -errno).
    var result: Int32
    /// The main CQE's flags.
    var flags: UInt32
    /// A linked timeout fired and cut the operation short.
    var timedOut: Bool
    /// Cancellation was requested (by the task, or by shutdown) before the last CQE.
    var cancelRequested: Bool
    /// The cancellation came from the runtime shutting down, not from the task.
    var shutdown: Bool = false
    /// The ring dropped CQEs (EBADR) while this operation was in flight: it was cancelled
    /// to find out, or its CQE was among the lost ones.
    var completionsLost: Bool = false

    static let empty = OperationOutcome(result: 0, flags: 0, timedOut: false, cancelRequested: false)

    /// The outcome of an operation cancelled before it reached the kernel.
    static func cancelledBeforeSubmission(shutdown: Bool) -> OperationOutcome {
        OperationOutcome(result: -ECANCELED, flags: 0, timedOut: false, cancelRequested: true, shutdown: shutdown)
    }
}
