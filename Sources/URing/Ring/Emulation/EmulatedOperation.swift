// One SQE the emulator took, from its start to its last CQE. Owner thread only.

import CLiburing

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
    /// SQEs linked behind this one (IO_LINK): they start when it succeeds.
    var chain: [io_uring_sqe] = []
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
