// IORING_OP_ACCEPT: accept(2) one connection, SOCK_CLOEXEC. A descriptor that arrives
// for a caller who was cancelled (or whose deadline passed) meanwhile is closed here,
// never handed out or leaked. The peer's address is not asked for: getpeername(2) on
// the new socket gives it when wanted, and the SQE then points at no caller memory.

import CLiburing
import Glibc

struct AcceptOperation: RingOperation {
    let descriptor: FileDescriptor

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.accept(descriptor, address: nil, length: nil, flags: Int32(SOCK_CLOEXEC.rawValue))
    }

    func complete(_ outcome: OperationOutcome) throws -> FileDescriptor {
        try outcome.newDescriptor()
    }
}
