// IORING_OP_SHUTDOWN: shutdown(2) one or both directions of a connected socket.

import CLiburing

struct ShutdownOperation: RingOperation {
    let descriptor: FileDescriptor
    /// SHUT_RD, SHUT_WR or SHUT_RDWR.
    let how: Int32

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.shutdown(descriptor, how: how)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
