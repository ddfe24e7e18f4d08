// IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT: one SQE that accepts connection after
// connection, each in a CQE with F_MORE, feeding a MultishotChannel that the consumer
// (TCPListener.Connections) drains.
//
// Threads: the ring side (`arming`, `deliver`, `finish`) runs on the owning driver's
// thread; the consumer side (`next`, `leave`) on the consumer's task. Both go through
// one ThreadLock around the channel, and act (resume, close, cancel) after unlocking.
// Each arming holds one use of the listening socket until its `finish`, so the
// listener's close() waits for the operation to leave the kernel. A descriptor that
// arrives after the consumer left is closed, never leaked.
//
// Errors: the kernel ends a multishot accept at its first error. A transient one
// (`AcceptFailure.isTransient`: descriptor or memory exhaustion, a connection aborted
// before it was taken, a firewall's EPERM...) does not end the sequence: `next()`
// reports `.interrupted` and the consumer's following `next()` arms it again (the
// listener backs off in between). A closed listener ends it quietly; anything else
// (a programming error: EBADF, EINVAL, ENOTSOCK, EOPNOTSUPP) is thrown.
//
// Kernels before 5.19 know ACCEPT but not IORING_ACCEPT_MULTISHOT, and answer EINVAL: the
// operation then switches to one single-shot ACCEPT per arming (the channel re-arms it
// after each connection), and an EINVAL from a single-shot accept is the error it is.

import CLiburing
import Glibc
import Synchronization
import URingExecutor

final class MultishotAccept: MultishotOperation, @unchecked Sendable {
    // @unchecked: all mutable state is the channel and the driver reference, both
    // behind `state`'s lock, and `multishot`, an atomic.
    typealias Waiter = CheckedContinuation<MultishotResult<Int32>, Never>

    /// The socket, and the use count that keeps it open while the operation is armed.
    private let descriptor: FileDescriptor
    private let uses: FileUseCount
    /// Whether the listener's close has begun (it shuts the socket down, which fails the
    /// accept with EINVAL, before `uses` is marked closed).
    private let isClosing: @Sendable () -> Bool
    private let state = ThreadLock<(channel: MultishotChannel<Int32, Waiter>, driver: CompletionDriver?)>((MultishotChannel(), nil))
    /// Whether armings ask for IORING_ACCEPT_MULTISHOT; cleared when the kernel refuses it.
    /// Read and written on the ring side only (one arming at a time).
    private let multishot: Atomic<Bool>

    init(descriptor: FileDescriptor, uses: FileUseCount, multishot: Bool = true, isClosing: @escaping @Sendable () -> Bool) {
        self.descriptor = descriptor
        self.uses = uses
        self.multishot = Atomic(multishot)
        self.isClosing = isClosing
    }

    deinit {
        // Nothing can be buffered for a consumer that is gone, but stay leak-proof.
        let action = state.withLock { $0.channel.leave() }
        for fd in action.discarded { _ = Glibc.close(fd) }
    }

    // MARK: Consumer side

    /// What one `next()` brought.
    enum Event {
        case accepted(FileDescriptor)
        /// The listener is closed, or the consumer left.
        case end
        /// The accept ended with a transient error; call `next()` again (after a backoff)
        /// to re-arm it.
        case interrupted(Errno)
    }

    /// The next accepted descriptor, the end, or a transient error to back off from.
    func next() async throws -> Event {
        try Task.checkCancellation()
        let result: MultishotResult<Int32>
        switch state.withLock({ $0.channel.next() }) {
        case .ready(let ready):
            result = ready
        case .wait(let arm):
            if arm { start() }
            result = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: Waiter) in
                    if case .resume(let now) = state.withLock({ $0.channel.wait(continuation) }) {
                        continuation.resume(returning: now)
                    }
                }
            } onCancel: {
                leave()
            }
        }
        switch result {
        case .element(let fd):
            return .accepted(FileDescriptor(rawValue: fd))
        case .end:
            return .end
        case .cancelled:
            throw CancellationError()
        case .interrupted(let error):
            // Only errors `AcceptFailure.isTransient` accepts are marked transient.
            return .interrupted(error as? Errno ?? Errno(rawValue: EIO))
        case .failure(let error):
            if case URingError.closed = error { return .end }
            throw error
        }
    }

    /// The consumer stopped iterating: cancel the operation, close what nobody will take.
    func leave() {
        let action = state.withLock { state in
            (state.channel.leave(), state.driver)
        }
        action.0.waiter?.resume(returning: .cancelled)
        for fd in action.0.discarded { _ = Glibc.close(fd) }
        if let ticket = action.0.cancel, let driver = action.1 { driver.requestCancel(ticket) }
    }

    /// Arms the operation on this thread's ring, or on a runtime's ring from elsewhere.
    private func start() {
        guard uses.begin() else {
            finishOnConsumer(URingError.closed)
            return
        }
        do throws(URingError) {
            // Off-worker callers go to a runtime's worker (refused in a fork child).
            if let driver = CurrentDriver.driver {
                driver.startMultishot(self)
            } else {
                try RuntimeRegistry.remoteDriver().startMultishot(self)
            }
        } catch {
            uses.end()
            finishOnConsumer(error)
        }
    }

    private func finishOnConsumer(_ error: any Error) {
        let action = state.withLock { $0.channel.finish(last: nil, failure: error) }
        perform(action)
    }

    // MARK: Ring side (the driver's thread)

    func prepare(_ entry: SubmissionEntry) {
        entry.accept(
            descriptor, address: nil, length: nil, flags: Int32(SOCK_CLOEXEC.rawValue),
            multishot: multishot.load(ordering: .relaxed))
    }

    func arming(on driver: CompletionDriver, ticket: SlotTicket) -> Bool {
        state.withLock { state in
            state.driver = driver
            return state.channel.arming(ticket)
        }
    }

    func deliver(result: Int32, flags: UInt32) {
        guard result >= 0 else {
            // Errors end a multishot accept; one with F_MORE would be a kernel novelty.
            return
        }
        switch state.withLock({ $0.channel.deliver(result) }) {
        case .resume(let waiter, let element): waiter.resume(returning: element)
        case .discard(let fd): _ = Glibc.close(fd)
        case .buffered: break
        }
    }

    func finish(_ outcome: OperationOutcome) {
        uses.end()
        var last: Int32?
        var failure: (any Error)?
        if outcome.result >= 0 {
            last = outcome.result
        } else if uses.isClosed || isClosing() {
            failure = URingError.closed
        } else if outcome.result == -EINVAL && multishot.load(ordering: .relaxed) {
            // A kernel without multishot accept (before 5.19): a quiet end, re-armed single-shot.
            multishot.store(false, ordering: .relaxed)
        } else {
            do { _ = try outcome.count() } catch { failure = error }
        }
        let transient = failure.map(AcceptFailure.isTransient) ?? false
        perform(state.withLock { $0.channel.finish(last: last, failure: failure, transient: transient) })
    }

    private func perform(_ action: MultishotChannel<Int32, Waiter>.FinishAction) {
        switch action {
        case .none: break
        case .resume(let waiter, let result): waiter.resume(returning: result)
        case .discard(let fd): _ = Glibc.close(fd)
        case .rearm: start()
        }
    }
}

/// Which accept errors end an accept loop.
enum AcceptFailure {
    /// Programming errors: the descriptor is not a listening socket, or was closed behind
    /// the listener's back. Everything else the kernel reports for accept is transient.
    private static let fatal: Set<Int32> = [EBADF, EINVAL, ENOTSOCK, EOPNOTSUPP, EFAULT]

    /// Whether an accept that failed with `error` should be retried after a backoff:
    /// descriptor exhaustion (EMFILE, ENFILE), memory (ENOBUFS, ENOMEM), a connection
    /// that went away before it was taken (ECONNABORTED, EPROTO and the network errors
    /// accept(2) passes on), a firewall's EPERM, EINTR, a lost completion (EBADR). Not a
    /// closed listener, shutdown, cancellation or a deadline (those are no `Errno`).
    static func isTransient(_ error: any Error) -> Bool {
        guard let errno = error as? Errno else { return false }
        return !fatal.contains(errno.rawValue)
    }
}
