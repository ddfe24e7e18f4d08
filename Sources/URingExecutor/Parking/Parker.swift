// The seam between the scheduler and whatever a worker sleeps on.
//
// A worker owns exactly one Parker. `park` and `poll` are called only by that worker's
// thread; `unpark` may be called from any thread at any time. The io_uring runtime
// plugs its per-worker ring in here (it parks in io_uring_submit_and_wait and is woken
// through an eventfd); ConditionParker is the standalone implementation.

/// Where a worker thread sleeps when it has nothing to run, and how it hears of events.
public protocol Parker: AnyObject, Sendable {
    /// Blocks the calling (owning) worker thread until `unpark()` has been called since
    /// the previous `park` returned, `deadline` passes, or the parker's own event source
    /// has something to deliver. Spurious returns are allowed: callers re-check.
    func park(deadline: ContinuousClock.Instant?)

    /// Delivers whatever events are ready without blocking (for the io_uring parker:
    /// flush pending submissions, reap completions). Called by the owning worker between
    /// jobs at a bounded interval and before it parks.
    func poll()

    /// Wakes the owning worker if it is parked, or makes its next `park` return at once.
    /// Safe from any thread.
    func unpark()

    /// Whether the last `poll` submitted work of which nothing had completed when it
    /// returned (the operations wait for a device or a peer). A worker left with nothing
    /// to run then parks without polling first: one `park` submits and waits, where a
    /// poll and then a park would enter the kernel twice. Owner thread only.
    var submissionsAwaitCompletion: Bool { get }

    /// Operations this parker's event source has completed so far (a count that only
    /// grows), each of which resumed a task. What it grew by between two times the
    /// owner's queue ran dry is about how many tasks the owner keeps busy with I/O that
    /// completes at once (cached file reads); operations that wait (an idle socket, a
    /// sleep) count only once they complete. A worker whose queue ran dry takes a peer's
    /// backlog before polling only when the backlog is larger. Owner thread only.
    var operationsCompleted: Int { get }
}

extension Parker {
    /// Parkers that submit nothing: polling first costs nothing.
    public var submissionsAwaitCompletion: Bool { false }

    /// Parkers that complete no operations.
    public var operationsCompleted: Int { 0 }
}
