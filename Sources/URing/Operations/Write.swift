// IORING_OP_WRITE: one write(2)/pwrite(2) from the caller's buffer (may be short).

import CLiburing

struct WriteOperation: RingOperation {
    let descriptor: FileDescriptor
    let buffer: UnsafeRawBufferPointer
    /// `UInt64.max` writes at the file's current position.
    let offset: UInt64
    /// The File's registration, if any (`RegisteredFiles`).
    var registeredFile = RegisteredFileUse.none

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.write(descriptor, from: buffer, at: offset)
    }

    /// WRITE_FIXED when the buffer lies in one of the ring's registered fixed buffers.
    func prepare(
        _ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>, fixedBuffers: FixedBufferRegion
    ) -> Bool {
        guard let index = fixedBuffers.index(of: buffer.baseAddress, count: buffer.count) else {
            entry.write(descriptor, from: buffer, at: offset)
            return false
        }
        entry.writeFixed(descriptor, from: buffer, at: offset, bufferIndex: index)
        return true
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
