// IORING_OP_NOP: a round trip through the ring and nothing else (tests, benchmarks).

import CLiburing

struct NopOperation: RingOperation {
    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.nop()
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
