// IORING_OP_CLOSE: close(2) through the ring.

import CLiburing

struct CloseOperation: RingOperation {
    let descriptor: FileDescriptor

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.close(descriptor)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
