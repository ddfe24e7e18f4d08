// The seam between the executor and whatever keeps jobs until a deadline.
//
// `Task.sleep` on a `URingExecutor` arrives as `enqueue(_:at:tolerance:clock:)`; the
// executor converts the instant to the ContinuousClock and calls `schedule`. The
// standalone implementation is `TimerHeap`: workers fire due jobs between jobs and bound
// their sleep by `nextDeadline`. The io_uring runtime can supply its own: `schedule`
// submits a ring timeout on the calling worker's ring (found through
// `URingExecutor.current`), the completion enqueues the job on the executor, and
// `nextDeadline` stays nil because the ring itself wakes the parked worker.

/// Holds jobs until their deadline and then hands them back to the executor.
public protocol JobTimers: AnyObject, Sendable {
    /// Keeps `job` until `deadline`. Called from any thread. Returns true when this made
    /// `deadline` the earliest pending one, which tells the executor to wake the worker
    /// that sleeps on `nextDeadline` so it can shorten its sleep.
    func schedule(_ job: UnownedJob, at deadline: ContinuousClock.Instant) -> Bool

    /// The earliest pending deadline, or nil. Read by workers before they sleep and at
    /// their polling interval, so it must be cheap (an atomic load).
    var nextDeadline: ContinuousClock.Instant? { get }

    /// Whether any deadline is pending: `nextDeadline != nil` without building an
    /// `Optional<ContinuousClock.Instant>` (a resilient type: every copy of one goes through
    /// value witnesses). Workers ask it once or twice per park.
    var hasPendingTimers: Bool { get }

    /// Passes every job whose deadline is at or before `now` to `fire` (which enqueues it).
    /// Called by worker threads.
    func fireDue(now: ContinuousClock.Instant, _ fire: (UnownedJob) -> Void)

    /// Removes and returns every pending job with its deadline (used by `shutdown()`).
    func removeAll() -> [(job: UnownedJob, deadline: ContinuousClock.Instant)]
}

extension JobTimers {
    /// Timers that keep only `nextDeadline` answer from it.
    public var hasPendingTimers: Bool { nextDeadline != nil }
}
