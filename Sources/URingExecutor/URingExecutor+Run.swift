// `run`: block a plain thread until an async closure has finished on the executor (the
// seed's `block_on`). The closure runs in a new task whose executor preference is this
// executor, so its child tasks (async let, task groups) run on the workers too.

extension URingExecutor {
    /// Runs `body` on this executor and blocks the calling thread until it returns, then
    /// returns its value or rethrows its error.
    ///
    /// In a fork() child, an executor created before the fork has no worker threads:
    /// `run` then throws `URingExecutorError.forkedChild` without running `body` if
    /// `Failure` can hold it (`any Error`, `URingExecutorError`); a `body` that cannot
    /// throw leaves no way to report it, so that is a precondition failure with the same
    /// message.
    ///
    /// - Precondition: the calling thread is not a worker thread of any URingExecutor
    ///   (blocking a worker can deadlock the executor), and `shutdown()` has not begun.
    public func run<Result: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () async throws(Failure) -> Result
    ) throws(Failure) -> Result {
        if isForkedAway {
            guard let error = URingExecutorError.forkedChild as? Failure else {
                preconditionFailure("URingExecutor.run in a fork() child: \(Self.forkedChildMessage)")
            }
            throw error
        }
        precondition(CurrentWorker.worker == nil, "URingExecutor.run called on a worker thread; use await instead")
        precondition(!isShuttingDown, "URingExecutor.run called after shutdown()")
        let outcome = ConditionLock<Swift.Result<Result, Failure>?>(nil)
        let operation: @Sendable () async -> Void = {
            let result: Swift.Result<Result, Failure>
            do throws(Failure) {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            outcome.withLockBroadcasting { $0 = result }
        }
        if isProcessDefault {
            // Already every task's executor: a preference would only add the Swift
            // runtime's per-resumption preference lookup (a lock) to every task below.
            Task(operation: operation)
        } else {
            Task(executorPreference: self, operation: operation)
        }
        return try outcome.wait { $0 }.get()
    }
}
