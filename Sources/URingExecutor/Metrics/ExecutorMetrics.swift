// A snapshot of an executor's counters, summed over its workers. Counters only grow;
// take two snapshots and subtract to measure an interval.

/// Counts of scheduler events since the executor started.
public struct ExecutorMetrics: Sendable, Equatable {
    /// Jobs run by workers (every task resumption is one job).
    public var jobsRun: UInt64 = 0
    /// Jobs run straight from a worker's LIFO slot.
    public var lifoHits: UInt64 = 0
    /// `Task.yield()` jobs that went to the back of a local queue instead of the LIFO slot.
    public var yieldsRequeued: UInt64 = 0
    /// Successful steal operations (each moves about half of a victim's queue, or less
    /// when it evens out a peer's backlog).
    public var steals: UInt64 = 0
    /// Jobs moved by those steals.
    public var stolenJobs: UInt64 = 0
    /// The part of `stolenJobs` that the stuck-work watcher took from a worker whose job
    /// had not returned for a look interval (a job that blocks or spins); the rest were
    /// taken by idle workers to even out the load. (Each counter is read on its own: in a
    /// snapshot taken while a worker steals, the two may be one steal apart.)
    public var rescuedJobs: UInt64 = 0
    /// Times a worker went to sleep in its parker.
    public var parks: UInt64 = 0
    /// Wake-ups sent to sleeping workers because work appeared.
    public var notifications: UInt64 = 0
    /// Jobs enqueued from threads that are not this executor's workers.
    public var remoteEnqueues: UInt64 = 0
    /// Jobs workers took from the injection queue.
    public var injectionPops: UInt64 = 0
    /// Jobs moved from full local queues to the injection queue.
    public var overflowedJobs: UInt64 = 0
    /// `Parker.poll()` calls.
    public var polls: UInt64 = 0
    /// Times a worker whose queue ran dry let other runnable threads on its CPU go first
    /// (`sched_yield`) before polling its parker.
    public var cpuYields: UInt64 = 0
    /// Timer jobs (`Task.sleep`) handed back when their deadline passed.
    public var timersFired: UInt64 = 0
    /// Jobs that kept a worker busy for longer than the stall threshold (each was reported).
    public var stalls: UInt64 = 0
    /// Jobs forwarded to the fallback executor because they arrived after `shutdown()` began.
    public var forwardedAfterShutdown: UInt64 = 0

    /// All counters at zero.
    public init() {}
}
