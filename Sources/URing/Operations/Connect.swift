// IORING_OP_CONNECT: connect(2) a socket to an address the slot keeps alive.

import CLiburing

struct ConnectOperation: RingOperation {
    let descriptor: FileDescriptor
    let address: SocketAddressBuffer

    var keepAlive: AnyObject? { address }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.connect(descriptor, address: address.socketAddress, length: address.length.pointee)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
