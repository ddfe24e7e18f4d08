// IORING_OP_READ: one read(2)/pread(2) into the caller's buffer.

import CLiburing

struct ReadOperation: RingOperation {
    let descriptor: FileDescriptor
    let buffer: UnsafeMutableRawBufferPointer
    /// `UInt64.max` reads at the file's current position (pipes, sockets).
    let offset: UInt64
    /// The File's registration, if any (`RegisteredFiles`).
    var registeredFile = RegisteredFileUse.none

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.read(descriptor, into: buffer, at: offset)
    }

    /// READ_FIXED when the buffer lies in one of the ring's registered fixed buffers.
    func prepare(
        _ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>, fixedBuffers: FixedBufferRegion
    ) -> Bool {
        guard let index = fixedBuffers.index(of: buffer.baseAddress, count: buffer.count) else {
            entry.read(descriptor, into: buffer, at: offset)
            return false
        }
        entry.readFixed(descriptor, into: buffer, at: offset, bufferIndex: index)
        return true
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
