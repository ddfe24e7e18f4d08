// IORING_OP_READ: one read(2)/pread(2) into the caller's buffer.

import CLiburing

struct ReadOperation: RingOperation {
    let descriptor: FileDescriptor
    let buffer: UnsafeMutableRawBufferPointer
    /// `UInt64.max` reads at the file's current position (pipes, sockets).
    let offset: UInt64

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.read(descriptor, into: buffer, at: offset)
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
