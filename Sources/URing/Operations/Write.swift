// IORING_OP_WRITE: one write(2)/pwrite(2) from the caller's buffer (may be short).

import CLiburing

struct WriteOperation: RingOperation {
    let descriptor: FileDescriptor
    let buffer: UnsafeRawBufferPointer
    /// `UInt64.max` writes at the file's current position.
    let offset: UInt64

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.write(descriptor, from: buffer, at: offset)
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
