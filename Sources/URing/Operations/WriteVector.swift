// IORING_OP_WRITEV: one pwritev(2) from the caller's buffers (may be short).

import CLiburing

struct WriteVectorOperation: RingOperation {
    let descriptor: FileDescriptor
    let vectors: IOVectors
    let offset: UInt64
    /// The File's registration, if any (`RegisteredFiles`).
    var registeredFile = RegisteredFileUse.none

    var keepAlive: AnyObject? { vectors }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.writev(descriptor, vectors.buffer, at: offset)
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
