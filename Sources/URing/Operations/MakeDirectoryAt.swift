// IORING_OP_MKDIRAT: mkdirat(2).

import CLiburing
import Glibc

struct MakeDirectoryAtOperation: RingOperation {
    let path: PathBuffer
    let mode: mode_t

    var keepAlive: AnyObject? { path }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.mkdirat(path.pointer, relativeTo: nil, mode: mode)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
