// runBlocking: a place for work that blocks its thread (a syscall io_uring has no opcode
// for, a C library that waits, CPU-heavy hashing), off the runtime's workers.
//
// Closures run on one process-wide pool (BlockingPool.runtimeWork: at most 64 threads,
// started on demand, kept for the life of the process), shared by every runtime and
// separate from the fallback backend's file pool. A call is a BlockingCall whose state
// moves under a lock: waiting (not yet submitted) -> queued -> running -> finished, or
// to cancelled from waiting or queued only. Cancellation that wins while the closure
// has not started resumes the caller with CancellationError and the closure never
// runs; once it runs, it finishes and its result is returned (threads cannot be
// interrupted). Each continuation is resumed exactly once: by the cancel or by the run.

import URingExecutor

extension URingRuntime {
    /// The most closures `runBlocking` runs at once; later ones wait in a queue.
    public static let blockingThreadLimit = BlockingPool.runtimeWorkThreads

    /// Runs `body` on the blocking pool and returns its result (or rethrows its error).
    ///
    /// Use it for work that would block a runtime worker: calls io_uring has no opcode
    /// for, libraries that wait, long computations. The pool is shared by the process
    /// and bounded (`blockingThreadLimit` threads); beyond that, calls wait in a queue.
    /// It needs no running runtime.
    ///
    /// Cancellation: if the task is cancelled before `body` has started (while it
    /// waits in the queue), the call throws `CancellationError` at once and `body`
    /// never runs. Once `body` runs it cannot be interrupted: it finishes, and its result
    /// is returned (check `Task.isCancelled` afterwards if that matters).
    ///
    /// - Throws: `CancellationError` when cancelled before `body` started; what `body` throws.
    public static func runBlocking<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        let call = BlockingCall(body)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if call.queue(continuation) { BlockingPool.runtimeWork.submit(call) }
            }
        } onCancel: {
            call.cancel()
        }
    }
}

/// One runBlocking call, from submission to its single resumption.
final class BlockingCall<Result: Sendable>: BlockingJob, Sendable {
    enum State {
        /// Not yet handed to the pool; `cancelled` if a cancel came first.
        case waiting(body: @Sendable () throws -> Result, cancelled: Bool)
        case queued(body: @Sendable () throws -> Result, CheckedContinuation<Result, any Error>)
        case running(CheckedContinuation<Result, any Error>)
        /// Resumed (by the run or by a cancel); nothing is held any more.
        case finished
    }

    private let state: ThreadLock<State>

    init(_ body: @escaping @Sendable () throws -> Result) {
        state = ThreadLock(.waiting(body: body, cancelled: false))
    }

    /// Stores the continuation; true if the call should go to the pool, false if a cancel
    /// came first (then the continuation has been resumed with CancellationError).
    func queue(_ continuation: CheckedContinuation<Result, any Error>) -> Bool {
        let queued = state.withLock { state -> Bool in
            guard case .waiting(let body, let cancelled) = state else {
                fatalError("Internal inconsistency: a runBlocking call queued twice")
            }
            state = cancelled ? .finished : .queued(body: body, continuation)
            return !cancelled
        }
        if !queued { continuation.resume(throwing: CancellationError()) }
        return queued
    }

    /// Cancels the call if its closure has not started; otherwise does nothing.
    func cancel() {
        let continuation = state.withLock { state -> CheckedContinuation<Result, any Error>? in
            switch state {
            case .waiting(let body, _):
                state = .waiting(body: body, cancelled: true)
                return nil
            case .queued(_, let continuation):
                state = .finished
                return continuation
            case .running, .finished:
                return nil
            }
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// On a pool thread: runs the closure unless the call was cancelled, and resumes the caller.
    func run() {
        let start = state.withLock { state -> (@Sendable () throws -> Result, CheckedContinuation<Result, any Error>)? in
            guard case .queued(let body, let continuation) = state else { return nil }
            state = .running(continuation)
            return (body, continuation)
        }
        guard let (body, continuation) = start else { return }
        let result = Swift.Result { try body() }
        state.withLock { $0 = .finished }
        continuation.resume(with: result)
    }
}
