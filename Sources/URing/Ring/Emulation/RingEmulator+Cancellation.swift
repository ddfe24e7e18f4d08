// ASYNC_CANCEL: ends a waiting, timed or queued operation with -ECANCELED, answers
// -EALREADY for one a pool thread is running and -ENOENT for an unknown target, as the
// kernel does. Owner thread only.

import CLiburing
import Glibc

extension RingEmulator {
    // MARK: Cancellation

    /// ASYNC_CANCEL: 0 if something was cancelled (with `all`, how many), -EALREADY if
    /// it is running, -ENOENT if nothing matches.
    func cancel(userData: UInt64, all: Bool) -> Int32 {
        let matches = operations.values.filter { operation in
            operation.userData == userData && operation.isCancellable
        }.sorted { $0.id < $1.id }
        guard !matches.isEmpty else { return -ENOENT }
        if all {
            var cancelled: Int32 = 0
            for operation in matches where cancel(operation) == 0 { cancelled += 1 }
            return cancelled > 0 ? cancelled : -EALREADY
        }
        return cancel(matches[0])
    }

    /// Ends `operation` with -ECANCELED unless a pool thread is already running it.
    func cancel(_ operation: EmulatedOperation) -> Int32 {
        switch operation.state {
        case .waiting:
            removeWaiter(operation.id, fd: operation.sqe.fd)
            finish(operation, result: -ECANCELED)
            updateInterest(operation.sqe.fd)
            return 0
        case .timer:
            finish(operation, result: -ECANCELED)
            return 0
        case .pool(let job):
            guard job.cancel() else { return -EALREADY }
            finish(operation, result: -ECANCELED)
            return 0
        case .starting, .finished:
            return -EALREADY
        }
    }
}
