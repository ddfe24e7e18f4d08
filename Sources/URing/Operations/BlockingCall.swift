// Blocking work off the runtime's workers: a closure runs on BlockingPool.runtimeWork (at
// most 64 threads, process-wide, separate from the fallback backend's file pool) and its
// caller is resumed with the result. Here, below IO/, so file system calls without an
// opcode (readlink, getdents64) use it too; URingRuntime.runBlocking is its public face.
//
// A call is a BlockingCall whose state moves under a lock: waiting (not yet submitted)
// -> queued -> running -> finished, or to finished by a cancel from waiting or queued
// only. A cancel that wins while the closure has not started resumes the caller with
// CancellationError and the closure never runs; once it runs, it finishes and its result
// is returned (threads cannot be interrupted). Each continuation is resumed exactly once.

import URingExecutor

/// Runs `body` on the blocking pool; CancellationError if cancelled before it started.
func performBlocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    let call = BlockingCall(body)
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            if call.queue(continuation) { BlockingPool.runtimeWork.submit(call) }
        }
    } onCancel: {
        call.cancel()
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
        guard let (result, continuation) = runClosureIfQueued() else { return }
        state.withLock { $0 = .finished }
        continuation.resume(with: result)
    }

    /// Runs the closure if the call is still queued. The closure, and what it captures,
    /// is released when this returns: before the caller resumes, never after (a capture's
    /// deinit then never runs on the pool thread behind the caller's back).
    private func runClosureIfQueued() -> (Swift.Result<Result, any Error>, CheckedContinuation<Result, any Error>)? {
        let start = state.withLock { state -> (@Sendable () throws -> Result, CheckedContinuation<Result, any Error>)? in
            guard case .queued(let body, let continuation) = state else { return nil }
            state = .running(continuation)
            return (body, continuation)
        }
        guard let (body, continuation) = start else { return nil }
        return (Swift.Result { try body() }, continuation)
    }
}
