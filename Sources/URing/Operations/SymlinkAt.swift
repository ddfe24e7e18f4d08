// IORING_OP_SYMLINKAT (Linux 5.15): symlinkat(2), a symbolic link whose contents are a
// target path. Both paths live in a PathPair the slot keeps alive until the CQE.

import CLiburing

struct SymlinkAtOperation: RingOperation {
    /// `first`: the target the link will contain; `second`: where the link is made.
    let paths: PathPair

    var keepAlive: AnyObject? { paths }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.symlinkat(paths.first.pointer, at: paths.second.pointer, relativeTo: nil)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
