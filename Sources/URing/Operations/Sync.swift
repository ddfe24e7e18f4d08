// IORING_OP_FSYNC: fsync(2), or fdatasync(2) when `dataOnly`.

import CLiburing

struct SyncOperation: RingOperation {
    let descriptor: FileDescriptor
    let dataOnly: Bool

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.fsync(descriptor, dataOnly: dataOnly)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
