// Running a timer's job where the timer fires.
//
// The job `Task.sleep` hands to `enqueue(_:at:tolerance:clock:)` is a small task of the
// standard library's own, with no executor preference, that resumes the sleeper. Run as
// every other job is (`runSynchronously(on:)` this executor as the task executor), it
// first hops off it, since its preference (none) differs from the task executor in force:
// to Swift's global executor, which resumes the sleeper from there. So a sleep on a
// runtime that is not the process default waited for a global-pool thread, and while
// tests (or an application) held those threads, every such sleep ended late, all at
// once. A fired timer's job is therefore marked (bit 0 of the job pointer, which a job's
// alignment leaves free) while it waits in the queues, and the worker that takes it runs
// it on the generic executor with no task executor: it resumes the sleeper at once, and
// the sleeper comes back to its own executor as any resumed task does. Queues, stealing
// and the injection queue move the marked value untouched; `Worker.run` and
// `forwardToFallback` take the mark off before the job reaches Swift.

enum TimerWakeUp {
    private static let mark: UInt = 1

    /// `job`, marked as a fired timer's.
    static func marked(_ job: UnownedJob) -> UnownedJob {
        // Safety: UnownedJob is one job pointer, at least 16-byte aligned; the marked value
        // is only ever stored, moved and unmarked, never used as a job.
        return unsafeBitCast(unsafeBitCast(job, to: UInt.self) | mark, to: UnownedJob.self)
    }

    /// `job` without the mark, and whether it had one.
    static func unmarked(_ job: UnownedJob) -> (job: UnownedJob, isWakeUp: Bool) {
        // Safety: as in `marked`; clearing bit 0 gives back the job pointer Swift handed us.
        let bits = unsafeBitCast(job, to: UInt.self)
        return (unsafeBitCast(bits & ~mark, to: UnownedJob.self), bits & mark != 0)
    }

    /// Swift's generic executor: no actor's isolation and no task executor (the ABI's
    /// null identity and witness table, what the global executor runs its jobs on).
    static let genericExecutor: UnownedSerialExecutor = {
        // Safety: UnownedSerialExecutor is the ABI's two-word executor reference, and
        // (null, 0) is the generic executor's; the size check stops a different layout.
        precondition(MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<UInt>.size)
        return unsafeBitCast((UInt(0), UInt(0)), to: UnownedSerialExecutor.self)
    }()
}

extension URingExecutor {
    /// Enqueues a fired timer's job (`Task.sleep`'s wake-up), as `enqueue` places any job,
    /// marked so the worker runs it without a task executor. Any thread.
    package func enqueueTimerWakeUp(_ job: UnownedJob) {
        schedule(TimerWakeUp.marked(job), isYield: false)
    }
}
