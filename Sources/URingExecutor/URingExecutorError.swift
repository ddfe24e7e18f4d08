// Errors the executor reports to its creator. Programming errors that cannot be
// recovered from (running `run` on a worker thread, shutting down the process-default
// executor) are preconditions instead, and say so in their doc comments.

/// Why a `URingExecutor` could not be created or used. (An error thrown by `makeParker`
/// is rethrown as it is.)
public enum URingExecutorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `workers` was less than 1 (the value given).
    case invalidWorkerCount(Int)
    /// `queueCapacity` was not a power of two in 2...65_536 (the value given).
    case invalidQueueCapacity(Int)
    /// `stallThreshold` was zero or negative (the value given); pass nil to disable.
    case invalidStallThreshold(Duration)
    /// `pthread_create` failed with this error number.
    case threadCreationFailed(errno: Int32)
    /// `run` was called in a fork() child on an executor created before the fork: its
    /// worker threads do not exist in the child.
    case forkedChild

    /// What went wrong and the valid values, in one line.
    public var description: String {
        switch self {
        case .invalidWorkerCount(let count):
            return "invalid worker count \(count): a URingExecutor needs at least 1 worker"
        case .invalidQueueCapacity(let capacity):
            return "invalid queue capacity \(capacity): use a power of two in 2...65536"
        case .invalidStallThreshold(let threshold):
            return "invalid stall threshold \(threshold): use a positive duration, or nil to disable stall reports"
        case .threadCreationFailed(let errno):
            return "pthread_create failed with errno \(errno)"
        case .forkedChild:
            return URingExecutor.forkedChildMessage
        }
    }
}
