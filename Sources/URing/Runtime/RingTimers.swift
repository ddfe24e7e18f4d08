// Task.sleep on the ring: the JobTimers a URingRuntime gives its executor.
//
// `schedule` on a worker thread submits an IORING_OP_TIMEOUT to that worker's ring; its
// CQE enqueues the sleeping job on the executor (on that worker, into its local queue).
// No timer thread, no heap walk. Where no ring can take the timer (a thread that is not
// a worker, or a driver that is shutting down), and for timers a shutdown cancelled,
// the job goes to a TimerHeap that the workers fire and that the executor's shutdown
// hands, deadlines intact, to the fallback executor. No job is dropped or run twice.

import Synchronization
import URingExecutor

final class RingTimers: JobTimers {
    /// Timers no ring holds; the executor fires these like the standalone executor does.
    let fallback = TimerHeap()
    /// Timers handed to a ring so far.
    let ringTimersStarted = Atomic<Int>(0)

    func schedule(_ job: UnownedJob, at deadline: ContinuousClock.Instant) -> Bool {
        if let driver = CurrentDriver.driver, let executor = URingExecutor.current?.executor,
            driver.startTimer(job, at: deadline, executor: executor)
        {
            ringTimersStarted.add(1, ordering: .relaxed)
            return false
        }
        return fallback.schedule(job, at: deadline)
    }

    var nextDeadline: ContinuousClock.Instant? { fallback.nextDeadline }

    var hasPendingTimers: Bool { fallback.hasPendingTimers }

    func fireDue(now: ContinuousClock.Instant, _ fire: (UnownedJob) -> Void) {
        fallback.fireDue(now: now, fire)
    }

    func removeAll() -> [(job: UnownedJob, deadline: ContinuousClock.Instant)] {
        fallback.removeAll()
    }
}
