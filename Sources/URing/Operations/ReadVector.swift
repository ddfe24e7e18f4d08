// IORING_OP_READV: one preadv(2) into the caller's buffers.

import CLiburing

struct ReadVectorOperation: RingOperation {
    let descriptor: FileDescriptor
    let vectors: IOVectors
    let offset: UInt64
    /// The File's registration, if any (`RegisteredFiles`).
    var registeredFile = RegisteredFileUse.none

    var keepAlive: AnyObject? { vectors }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.readv(descriptor, vectors.buffer, at: offset)
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
