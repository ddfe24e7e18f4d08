// IORING_OP_UNLINKAT: unlinkat(2); with AT_REMOVEDIR it removes an empty directory.

import CLiburing

struct UnlinkAtOperation: RingOperation {
    let path: PathBuffer
    let flags: Int32

    var keepAlive: AnyObject? { path }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.unlinkat(path.pointer, relativeTo: nil, flags: flags)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
