// Per-worker event counters. Each counter has one writer, the owning worker, which
// bumps it with a relaxed load and store (no locked instruction on the hot path);
// anyone may read them at any time and sees a recent, monotonically growing value.

import Synchronization

final class WorkerCounters: Sendable {
    private let leadingPadding = CacheLinePadding()
    let jobsRun = Atomic<UInt64>(0)
    let lifoHits = Atomic<UInt64>(0)
    let yieldsRequeued = Atomic<UInt64>(0)
    let steals = Atomic<UInt64>(0)
    let stolenJobs = Atomic<UInt64>(0)
    let rescuedJobs = Atomic<UInt64>(0)
    let parks = Atomic<UInt64>(0)
    let injectionPops = Atomic<UInt64>(0)
    let overflowedJobs = Atomic<UInt64>(0)
    let polls = Atomic<UInt64>(0)
    let cpuYields = Atomic<UInt64>(0)
    let timersFired = Atomic<UInt64>(0)
    let stalls = Atomic<UInt64>(0)
    private let trailingPadding = CacheLinePadding()

    init() {}

    /// Adds this worker's counters (a relaxed read of each) to `metrics`.
    func add(to metrics: inout ExecutorMetrics) {
        metrics.jobsRun += jobsRun.load(ordering: .relaxed)
        metrics.lifoHits += lifoHits.load(ordering: .relaxed)
        metrics.yieldsRequeued += yieldsRequeued.load(ordering: .relaxed)
        metrics.steals += steals.load(ordering: .relaxed)
        // `rescuedJobs` first: the watcher bumps `stolenJobs` first, so a snapshot taken
        // while it steals shows no more rescued jobs than stolen ones (on x86).
        metrics.rescuedJobs += rescuedJobs.load(ordering: .relaxed)
        metrics.stolenJobs += stolenJobs.load(ordering: .relaxed)
        metrics.parks += parks.load(ordering: .relaxed)
        metrics.injectionPops += injectionPops.load(ordering: .relaxed)
        metrics.overflowedJobs += overflowedJobs.load(ordering: .relaxed)
        metrics.polls += polls.load(ordering: .relaxed)
        metrics.cpuYields += cpuYields.load(ordering: .relaxed)
        metrics.timersFired += timersFired.load(ordering: .relaxed)
        metrics.stalls += stalls.load(ordering: .relaxed)
    }
}

extension Atomic<UInt64> {
    /// Adds `amount`; only for counters with a single writing thread.
    func bump(by amount: UInt64 = 1) {
        store(load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }
}
