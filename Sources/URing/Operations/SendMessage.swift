// IORING_OP_SENDMSG: one datagram to the message's address (MSG_NOSIGNAL).

import CLiburing
import Glibc

struct SendMessageOperation: RingOperation {
    let descriptor: FileDescriptor
    let message: MessageBuffer

    var keepAlive: AnyObject? { message }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.sendmsg(descriptor, message.header, flags: UInt32(MSG_NOSIGNAL))
    }

    func complete(_ outcome: OperationOutcome) throws -> Int {
        try outcome.count()
    }
}
