// IORING_OP_OPENAT: openat(2) through the ring. A descriptor that arrives for a caller
// who was cancelled meanwhile is closed here, never handed out or leaked.

import CLiburing
import Glibc

struct OpenAtOperation: RingOperation {
    let path: PathBuffer
    let directory: FileDescriptor?
    let flags: Int32
    let mode: mode_t

    var keepAlive: AnyObject? { path }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.openat(path.pointer, relativeTo: directory, flags: flags, mode: mode)
    }

    func complete(_ outcome: OperationOutcome) throws -> FileDescriptor {
        try outcome.newDescriptor()
    }
}
