// Errors the executor reports to its creator. Programming errors that cannot be
// recovered from (running `run` on a worker thread, shutting down the process-default
// executor) are preconditions instead, and say so in their doc comments.

/// Why a `URingExecutor` could not be created. (An error thrown by `makeParker` is
/// rethrown as it is.)
public enum URingExecutorError: Error, Equatable, Sendable {
    /// `workers` was less than 1 (the value given).
    case invalidWorkerCount(Int)
    /// `queueCapacity` was not a power of two in 4...65_536 (the value given).
    case invalidQueueCapacity(Int)
    /// `pthread_create` failed with this error number.
    case threadCreationFailed(errno: Int32)
}
