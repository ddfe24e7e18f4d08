// IORING_OP_RECVMSG: one datagram and its sender's address, into a heap message.

import CLiburing

struct ReceiveMessageOperation: RingOperation {
    let descriptor: FileDescriptor
    let message: MessageBuffer

    var keepAlive: AnyObject? { message }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.recvmsg(descriptor, message.header, flags: 0)
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
