// How a task runs one operation (a RingOperation, Driver/RingOperation.swift), start
// to last CQE:
//   1. on a worker thread: reserve a slot in that worker's driver (no allocation),
//      suspend in withUnsafeContinuation, and prepare the SQE right there; the batch is
//      submitted at the worker's next poll or park;
//   2. on any other thread: box the operation and post it to a runtime worker's mailbox
//      (the worker comes from RuntimeRegistry);
//   3. a task cancellation posts a cancel for the slot to its driver; the call still
//      waits for the operation's own CQE, so nothing the kernel touches is released or
//      written after the call returns.
// A deadline (OperationDeadline, set by URingRuntime.withDeadline) links an
// IORING_OP_LINK_TIMEOUT behind the operation's SQE.
// In a fork() child, a runtime created before the fork has no threads and no mapped
// rings. The worker path cannot meet one: the fork handler clears the forking thread's
// CurrentDriver, and the child's other threads are its own. The remote path refuses one
// with URingError.forkedChild before it touches any of its locks or its mailbox.

import CLiburing
import Glibc
import Synchronization
import URingExecutor

/// Runs `operation` on the calling worker's ring, or on a runtime's ring when called
/// from elsewhere, and returns its result once its last CQE has arrived.
///
/// `cancellable: false` is for operations that finish within a device's latency
/// whatever happens (reads and writes of regular files and block devices: the kernel
/// cannot interrupt those once started, so IORING_OP_ASYNC_CANCEL would wait for them
/// too). Such an operation installs no cancellation handler (a status record taken
/// and dropped under the task's lock, and one more async frame, per call): a task
/// cancelled while it runs gets its result, and CancellationError from its next call.
/// A cancelled task still never starts one, and deadlines still cut it short.
/// `directIO: true` marks a read or write of an O_DIRECT file (`URingRuntime.Submission`).
@inline(__always)
func perform<Operation: RingOperation>(
    _ operation: Operation, cancellable: Bool = true, directIO: Bool = false
) async throws -> Operation.Output {
    guard cancellable else { return try await performPromptly(operation, directIO: directIO) }
    try CurrentTaskCancellation.check()
    let deadline = OperationDeadline.current
    guard let driver = CurrentDriver.driver else {
        return try await performRemotely(operation, deadline: deadline)
    }
    let ticket = driver.reserve()
    let outcome = await withTaskCancellationHandler {
        await withUnsafeContinuation { continuation in
            driver.start(
                operation, ticket: ticket, deadline: deadline, continuation: continuation, directIO: directIO)
        }
    } onCancel: {
        driver.requestCancel(ticket)
    }
    return try operation.complete(outcome)
}

/// `perform(_:cancellable: false, directIO:)`, the per-I/O path of regular files and
/// block devices, kept small: a caller that has only this path (File's single-chunk
/// reads and writes) keeps an async frame of a few hundred bytes rather than one sized
/// for the cancel handler's path too.
@inline(__always)
func performPromptly<Operation: RingOperation>(
    _ operation: Operation, directIO: Bool
) async throws -> Operation.Output {
    try CurrentTaskCancellation.check()
    let deadline = OperationDeadline.current
    guard let current = CurrentDriver.unretainedDriver else {
        return try await performRemotely(operation, deadline: deadline)
    }
    // Safety: the thread's key holds the driver for the thread's life, and this task runs
    // on that thread until it suspends in the continuation below, after which nothing
    // here touches the driver. Unretained, it costs no retain and release per operation
    // (measured: ~1% of a worker's CPU at 4 KiB cached QD32; an `unowned(unsafe)`
    // binding still retained it around each call).
    let ticket = current._withUnsafeGuaranteedRef { $0.reserve() }
    // The executor-inheriting form: `withUnsafeContinuation(isolation:)` hops to its
    // isolation argument on entry (one swift_task_switch per operation, measured with a
    // uprobe) although this function already runs there. Nothing else differs: the body
    // runs at once on this thread, and the task resumes on the executor it suspended on.
    let outcome = await _unsafeInheritExecutor_withUnsafeContinuation { continuation in
        // Still the thread that read the key: nothing above suspends. (`start`'s branch for
        // a task that changed threads would post through a driver this thread's key no
        // longer holds.)
        assert(CurrentDriver.unretainedDriver?.toOpaque() == current.toOpaque())
        current._withUnsafeGuaranteedRef {
            $0.start(operation, ticket: ticket, deadline: deadline, continuation: continuation, directIO: directIO)
        }
    }
    return try operation.complete(outcome)
}

/// The path for callers on threads that own no ring (MainActor, Dispatch, another
/// executor): the operation is boxed and handed to a worker of the current runtime.
private func performRemotely<Operation: RingOperation>(
    _ operation: Operation, deadline: ClockDeadline?
) async throws -> Operation.Output {
    let driver = try RuntimeRegistry.remoteDriver()
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

/// The deadline every operation started in the current task is cut short by: a
/// task-local that `URingRuntime.withDeadline` sets (nested deadlines keep the earlier).
enum OperationDeadline {
    /// A ClockDeadline, not a ContinuousClock.Instant: every operation reads it.
    @TaskLocal private static var bound: ClockDeadline?

    /// Set by the first `with` and never cleared (a task created in a deadline's scope
    /// keeps the binding after the scope ends). Until then no task has a deadline, so
    /// `current` skips the task-local lookup (a lazy global, the current task, its
    /// value list), which every operation would pay. Statically initialized: a plain load.
    private static let used = Atomic<Bool>(false)

    /// The current task's deadline, if any.
    @inline(__always)
    static var current: ClockDeadline? {
        // Relaxed is enough: a task that binds a deadline stored `true` before binding
        // it, and a task reads its own (or its parent's) binding after that store.
        guard used.load(ordering: .relaxed) else { return nil }
        return bound
    }

    /// Runs `body` with `deadline`, or the enclosing one if that is earlier.
    static func with<Result>(
        _ deadline: ContinuousClock.Instant, _ body: () async throws -> Result
    ) async rethrows -> Result {
        // Stored once: every later scope would otherwise write the line all cores read.
        if !used.load(ordering: .relaxed) { used.store(true, ordering: .relaxed) }
        let effective = current.map { min($0, ClockDeadline(deadline)) } ?? ClockDeadline(deadline)
        return try await $bound.withValue(effective, operation: body)
    }
}
