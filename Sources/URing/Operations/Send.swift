// IORING_OP_SEND: send(2) from the caller's buffer, with MSG_NOSIGNAL so a reset peer
// gives EPIPE instead of killing the process with SIGPIPE.

import CLiburing
import Glibc

struct SendOperation: RingOperation {
    let descriptor: FileDescriptor
    let buffer: UnsafeRawBufferPointer

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.send(descriptor, from: buffer, flags: Int32(MSG_NOSIGNAL))
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
