// IORING_OP_LINKAT (Linux 5.15): linkat(2), a new name (hard link) for an existing file.
// Both paths live in a PathPair the slot keeps alive until the CQE.

import CLiburing

struct LinkAtOperation: RingOperation {
    /// `first`: the existing file; `second`: its new name.
    let paths: PathPair
    /// 0, or AT_SYMLINK_FOLLOW to link what a symbolic link at `first` points to.
    let flags: Int32

    var keepAlive: AnyObject? { paths }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.linkat(paths.first.pointer, relativeTo: nil, to: paths.second.pointer, relativeTo: nil, flags: flags)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
