// TIMEOUT and LINK_TIMEOUT: relative CLOCK_MONOTONIC deadlines in a min-heap that the
// owner checks at every bit of progress; a stale heap entry (its operation finished or
// was re-armed) is skipped when popped. Owner thread only.

import CLiburing
import Glibc
import URingExecutor

/// A deadline (CLOCK_MONOTONIC ns) in the emulator's timer heap, and whose it is.
struct EmulatedTimer: Comparable {
    var deadline: UInt64
    var operationID: UInt64

    static func < (lhs: EmulatedTimer, rhs: EmulatedTimer) -> Bool {
        (lhs.deadline, lhs.operationID) < (rhs.deadline, rhs.operationID)
    }
}

extension RingEmulator {
    // MARK: Timers

    /// The CLOCK_MONOTONIC time (ns) a relative TIMEOUT or LINK_TIMEOUT SQE is due; nil
    /// for an invalid timespec or any flag (absolute times and other clocks are not
    /// emulated: the runtime submits neither).
    func deadline(of sqe: io_uring_sqe) -> UInt64? {
        guard sqe.timeout_flags == 0,
            let pointer = UnsafePointer<__kernel_timespec>(bitPattern: UInt(sqe.addr))
        else { return nil }
        let time = pointer.pointee
        guard time.tv_sec >= 0, time.tv_nsec >= 0, time.tv_nsec < 1_000_000_000 else { return nil }
        return Self.now() + (Duration.seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)).saturatingNonNegativeNanoseconds
    }

    func arm(_ operation: EmulatedOperation, at deadline: UInt64) {
        operation.state = .timer(deadline: deadline)
        timers.insert(EmulatedTimer(deadline: deadline, operationID: operation.id))
    }

    func fireDueTimers() {
        let now = Self.now()
        while let timer = timers.popMin(if: { $0.deadline <= now }) {
            let (deadline, id) = (timer.deadline, timer.operationID)
            guard let operation = operations[id], case .timer(let armed) = operation.state, armed == deadline else {
                continue
            }
            if operation.opcode == .linkTimeout {
                operations[id] = nil
                operation.state = .finished
                var result = -ETIME
                if let target = operation.guarded.flatMap({ operations[$0] }) {
                    target.linkTimeout = nil
                    let cancelled = cancel(target)
                    if cancelled != 0 { result = cancelled }
                }
                post(operation.userData, result)
            } else {
                finish(operation, result: -ETIME)
            }
        }
    }
}
