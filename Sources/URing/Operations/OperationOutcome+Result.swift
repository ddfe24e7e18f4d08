// How an operation's outcome becomes what its caller gets: a count, a new descriptor,
// or the error that explains why not (deadline, shutdown, task cancellation, errno).

import Glibc
import SystemPackage

extension OperationOutcome {
    /// The result as a count, or the error the call throws: the deadline, shutdown or
    /// task cancellation that ended it, else the kernel's errno. A partial result that
    /// arrived despite a cancellation is returned, not thrown away.
    func count() throws -> Int {
        if result >= 0 { return Int(result) }
        if timedOut { throw URingError.deadlineExceeded }
        if shutdown { throw URingError.shutdown }
        if cancelRequested && (result == -ECANCELED || result == -EINTR) { throw CancellationError() }
        throw Errno(rawValue: -result)
    }
}

extension OperationOutcome {
    /// A descriptor the operation created (open, accept). If the caller gave up meanwhile
    /// (cancelled, or its deadline passed), the descriptor is closed here and the call
    /// throws as a cancelled one would: it is never handed out or leaked.
    func newDescriptor() throws -> FileDescriptor {
        if result >= 0 && (cancelRequested || timedOut) {
            _ = Glibc.close(result)
            var abandoned = self
            abandoned.result = -ECANCELED
            _ = try abandoned.count()
        }
        return FileDescriptor(rawValue: Int32(try count()))
    }
}
