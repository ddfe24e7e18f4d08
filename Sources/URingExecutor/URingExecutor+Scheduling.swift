// `SchedulingExecutor`: how `Task.sleep` reaches the executor. The instant is converted
// to the ContinuousClock and handed to `timers` (see JobTimers.swift). Supported clocks:
// ContinuousClock, SuspendingClock, and any clock whose Duration is Swift.Duration
// (via its own `now`). For a clock with another Duration type the job runs at once.

@_spi(ExperimentalScheduling) import _Concurrency

@_spi(ExperimentalScheduling) extension URingExecutor: SchedulingExecutor {
    /// Runs `job` once `instant` of `clock` has passed (how `Task.sleep(until:)` reaches the
    /// executor): the instant becomes a ContinuousClock deadline kept by `timers`.
    /// ContinuousClock, SuspendingClock and any clock whose Duration is Swift.Duration are
    /// supported; for another clock the job runs at once. `tolerance` is ignored.
    public func enqueue<C: Clock>(
        _ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C
    ) {
        let job = UnownedJob(job)
        guard let deadline = Self.continuousDeadline(for: instant, clock: clock) else {
            schedule(job, isYield: false)
            return
        }
        scheduleTimer(job, at: deadline)
    }

    /// Runs `job` once `delay` has passed (how `Task.sleep(for:)` reaches the executor),
    /// measured on the ContinuousClock; a delay that is not a Swift.Duration runs the job at
    /// once. `tolerance` is ignored.
    public func enqueue<C: Clock>(
        _ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C
    ) {
        let job = UnownedJob(job)
        guard let delay = delay as? Duration else {
            schedule(job, isYield: false)
            return
        }
        scheduleTimer(job, at: .now + delay)
    }

    func scheduleTimer(_ job: UnownedJob, at deadline: ContinuousClock.Instant) {
        if isForkedAway { refuseInForkedChild() }
        if isShuttingDown {
            forwardToFallback(job, deadline: deadline)
            return
        }
        if timers.schedule(job, at: deadline) { timerDeadlineMovedEarlier() }
    }

    private static func continuousDeadline<C: Clock>(for instant: C.Instant, clock: C) -> ContinuousClock.Instant? {
        if let instant = instant as? ContinuousClock.Instant { return instant }
        if let instant = instant as? SuspendingClock.Instant {
            return .now + SuspendingClock.now.duration(to: instant)
        }
        if let delay = clock.now.duration(to: instant) as? Duration { return .now + delay }
        return nil
    }
}
