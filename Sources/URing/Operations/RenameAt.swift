// IORING_OP_RENAMEAT: renameat2(2). Both paths live in one object the slot keeps alive.

import CLiburing

struct RenameAtOperation: RingOperation {
    /// The two paths the kernel reads, kept alive together until the CQE.
    final class Paths: Sendable {
        let source: PathBuffer
        let destination: PathBuffer

        init(source: PathBuffer, destination: PathBuffer) {
            self.source = source
            self.destination = destination
        }
    }

    let paths: Paths
    let flags: UInt32

    var keepAlive: AnyObject? { paths }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.renameat(
            paths.source.pointer, relativeTo: nil, to: paths.destination.pointer, relativeTo: nil, flags: flags)
    }

    func complete(_ outcome: OperationOutcome) throws {
        _ = try outcome.count()
    }
}
