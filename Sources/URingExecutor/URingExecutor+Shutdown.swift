// Stopping an executor without losing a job.
//
// The sequence, in order:
//   1. `isShuttingDown` is set; from now on every `enqueue` (from any thread, including
//      jobs still running on the workers) forwards its job to the fallback executor.
//   2. Every worker is unparked. Each runs what was already queued for it (LIFO slot,
//      local queue), then drains the injection queue, then its thread exits.
//   3. The caller joins all worker threads.
//   4. The injection queue is closed; anything pushed between a worker's last look and
//      the close is forwarded. Pending timers are handed to the fallback executor with
//      their deadlines (or run there at once if it cannot schedule).
// A task that was suspended when `shutdown()` ran is therefore resumed later on the
// fallback executor (`globalConcurrentExecutor`): no job is ever dropped or run twice.

@_spi(ExperimentalScheduling) import _Concurrency

final class Lifecycle: Sendable {
    enum Phase { case running, stopping, stopped }
    let phase = ConditionLock(Phase.running)
}

extension URingExecutor {
    /// Stops the executor: runs the jobs already queued, stops and joins every worker
    /// thread, and forwards everything enqueued later to `globalConcurrentExecutor`.
    ///
    /// Blocks until the workers have exited. Idempotent: a second call (also a concurrent
    /// one) waits for the first to finish and returns. Tasks that are suspended at that
    /// point continue on the fallback executor when they are resumed; `Task.sleep` timers
    /// keep their deadlines there.
    ///
    /// In a fork() child, an executor created before the fork has nothing to stop in the
    /// child (its threads exist only in the parent): `shutdown()` returns at once.
    ///
    /// - Precondition: not called on one of this executor's worker threads (it would wait
    ///   for itself), and not on the process-default executor (`URingExecutorFactory`),
    ///   which lives as long as the process.
    public func shutdown() {
        if isForkedAway { return }
        precondition(!isProcessDefault, "shutdown() called on the process-default executor")
        precondition(!isCurrentWorkerThread, "shutdown() called on one of the executor's own worker threads")
        let isFirst = lifecycle.phase.withLockBroadcasting { phase in
            guard phase == .running else { return false }
            phase = .stopping
            return true
        }
        guard isFirst else {
            lifecycle.phase.wait { $0 == .stopped ? () : nil }
            return
        }
        _ = beginShutdown()
        unparkAllWorkers()
        for thread in takeThreads() { thread.join() }
        for job in injection.close() { forwardToFallback(job) }
        for timer in timers.removeAll() { forwardToFallback(timer.job, deadline: timer.deadline) }
        lifecycle.phase.withLockBroadcasting { $0 = .stopped }
    }

    /// Whether `shutdown()` has completed.
    public var isShutDown: Bool {
        lifecycle.phase.withLock { $0 } == .stopped
    }

    /// The executor that receives jobs after shutdown.
    var fallbackExecutor: any TaskExecutor { globalConcurrentExecutor }

    func forwardToFallback(_ job: UnownedJob) {
        forwardedAfterShutdown.wrappingAdd(1, ordering: .relaxed)
        fallbackExecutor.enqueue(TimerWakeUp.unmarked(job).job)
    }

    func forwardToFallback(_ job: UnownedJob, deadline: ContinuousClock.Instant) {
        forwardedAfterShutdown.wrappingAdd(1, ordering: .relaxed)
        if let scheduling = fallbackExecutor as? any SchedulingExecutor {
            scheduling.enqueue(ExecutorJob(job), at: deadline, tolerance: nil, clock: .continuous)
        } else {
            fallbackExecutor.enqueue(job)
        }
    }
}
