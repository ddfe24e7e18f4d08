// runBlocking: a place for work that blocks its thread (a syscall io_uring has no opcode
// for, a C library that waits, CPU-heavy hashing), off the runtime's workers.
//
// Closures run on one process-wide pool (BlockingPool.runtimeWork: at most 64 threads,
// started on demand, kept for the life of the process), shared by every runtime and
// separate from the fallback backend's file pool; Operations/BlockingCall.swift holds the
// machinery and its cancellation protocol.

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
        try await performBlocking(body)
    }
}
