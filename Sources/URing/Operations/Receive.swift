// IORING_OP_RECV: recv(2) into the caller's buffer (0 bytes: the peer shut down its side).

import CLiburing

struct ReceiveOperation: RingOperation {
    let descriptor: FileDescriptor
    let buffer: UnsafeMutableRawBufferPointer

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.recv(descriptor, into: buffer, flags: 0)
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
