// What every io_uring operation is, and how a task runs one.
//
// An operation is a small value: `prepare` fills its SQE on the ring's owner thread, and
// `complete` turns the kernel's outcome into the caller's result on the caller's task.
// `perform` is the whole life of one call:
//   1. on a worker thread: reserve a slot in that worker's driver (no allocation),
//      suspend in withUnsafeContinuation, and prepare the SQE right there; the batch is
//      submitted at the worker's next poll or park;
//   2. on any other thread: box the operation and post it to a runtime worker's mailbox;
//   3. a task cancellation posts a cancel for the slot to its driver; the call still
//      waits for the operation's own CQE, so nothing the kernel touches is released or
//      written after the call returns.
// In a fork() child, a runtime created before the fork has no threads and no mapped
// rings. The worker path cannot meet one: the fork handler clears the forking thread's
// CurrentDriver, and the child's other threads are its own. The remote path refuses one
// with URingError.forkedChild before it touches any of its locks or its mailbox.

import CLiburing
import Glibc
import Synchronization
import URingExecutor

protocol RingOperation {
    associatedtype Output

    /// Fills `entry` (user_data and link flags are the driver's). `time` is slot-owned
    /// storage for a timespec the SQE may point at. Runs on the ring's owner thread.
    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>)

    /// Heap memory the kernel reads or writes (a path, a statx buffer), kept alive by the
    /// slot until the last CQE.
    var keepAlive: AnyObject? { get }

    /// The caller's result for what the kernel reported. Runs on the caller's task.
    func complete(_ outcome: OperationOutcome) throws -> Output
}

extension RingOperation {
    var keepAlive: AnyObject? { nil }
}

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

/// Runs `operation` on the calling worker's ring, or on a runtime's ring when called
/// from elsewhere, and returns its result once its last CQE has arrived.
@inline(__always)
func perform<Operation: RingOperation>(_ operation: Operation) async throws -> Operation.Output {
    try Task.checkCancellation()
    let deadline = URingRuntime.currentDeadline
    guard let driver = CurrentDriver.driver else {
        return try await performRemotely(operation, deadline: deadline)
    }
    let ticket = driver.reserve()
    let outcome = await withTaskCancellationHandler {
        await withUnsafeContinuation { continuation in
            driver.start(operation, ticket: ticket, deadline: deadline, continuation: continuation)
        }
    } onCancel: {
        driver.requestCancel(ticket)
    }
    return try operation.complete(outcome)
}

/// The path for callers on threads that own no ring (MainActor, Dispatch, another
/// executor): the operation is boxed and handed to a worker of the current runtime.
private func performRemotely<Operation: RingOperation>(
    _ operation: Operation, deadline: ContinuousClock.Instant?
) async throws -> Operation.Output {
    let driver = try remoteDriver()
    let handoff = RemoteHandoff()
    let outcome = await withTaskCancellationHandler {
        await withUnsafeContinuation { continuation in
            let submission = RemoteOperation(operation, continuation: continuation, deadline: deadline)
            // A cancel that came first makes the driver resume without submitting.
            if !handoff.publish(submission) { submission.cancelled = true }
            driver.post(.startRemote(submission))
        }
    } onCancel: {
        if let submission = handoff.cancel() { driver.post(.cancelRemote(submission)) }
    }
    return try operation.complete(outcome)
}

/// The driver that serves a caller on a thread that owns no ring: a worker of the
/// preferred or newest runtime. Every remote start goes through here.
/// - Throws: `URingError.noRuntime` when no runtime is running; `.forkedChild` in a
///   fork() child when that runtime was created before the fork.
func remoteDriver() throws(URingError) -> CompletionDriver {
    if ForkDetection.isForkedChild { try refuseRuntimesInheritedThroughFork() }
    if let pinned = RuntimeRegistry.preferred {
        // A runtime the caller named that has begun shutting down refuses new work.
        guard let driver = pinned.nextDriverForRemoteCaller() else { throw .shutdown }
        return driver
    }
    guard let driver = RuntimeRegistry.newest()?.nextDriverForRemoteCaller() else { throw .noRuntime }
    return driver
}

/// In a fork() child: throws `URingError.forkedChild` unless the runtime a remote call
/// would go to was created in this process. Without a runtime created since the fork it
/// does not look at the runtime registry at all: its lock may have been held, at the
/// fork, by a thread the child does not have.
private func refuseRuntimesInheritedThroughFork() throws(URingError) {
    guard ForkDetection.hasExecutorCreatedSinceFork,
          let runtime = RuntimeRegistry.preferred ?? RuntimeRegistry.newest(),
          !runtime.executor.isForkedAway
    else { throw .forkedChild }
}

/// Meeting point of a remote operation's start and a concurrent cancel handler.
private final class RemoteHandoff: Sendable {
    private enum State {
        case waiting
        case cancelled
        case published(RemoteSubmission)
    }

    private let state = ThreadLock<State>(.waiting)

    /// Records the submission; false when the cancel handler already ran.
    func publish(_ submission: RemoteSubmission) -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .published(submission)
            return true
        }
    }

    /// Records the cancel; returns the submission if it was already published.
    func cancel() -> RemoteSubmission? {
        state.withLock { state in
            switch state {
            case .waiting:
                state = .cancelled
                return nil
            case .published(let submission):
                return submission
            case .cancelled:
                return nil
            }
        }
    }
}
