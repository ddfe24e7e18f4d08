// IORING_OP_FALLOCATE: fallocate(2) with already-validated offset, length and mode.

import CLiburing

struct AllocateOperation: RingOperation {
    let descriptor: FileDescriptor
    let mode: Int32
    let offset: Int64
    let length: Int64

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.fallocate(descriptor, mode: mode, offset: offset, length: length)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
