// IORING_OP_TIMEOUT: the ring wakes the task after a duration (URingRuntime.sleep).

import CLiburing

struct TimeoutOperation: RingOperation {
    let deadline: ContinuousClock.Instant

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        // Relative to now: the kernel's clocks and ContinuousClock need not agree on epochs.
        time.pointee = __kernel_timespec(deadline - ContinuousClock.now)
        entry.timeout(time)
    }

    func complete(_ outcome: OperationOutcome) throws {
        // ETIME is the timer expiring: the sleep's success.
        if outcome.result == -ETIME { return }
        _ = try outcome.count()
    }
}
