// The stuck-work watcher's look at its peers (the protocol is in Worker.swift's header):
// work queued behind a job that has not returned since the previous look is taken into
// this worker's queue, which ends its park. Runs on the watcher's thread, between parks.

extension Worker {
    /// The stuck-work watcher's look at its peers: work queued on a peer that has started
    /// no job since the previous look is taken into this worker's queue (which ends its park).
    func lookForStuckWork() {
        let workers = executor.workers
        if watchedJobCounts.count != workers.count {
            watchedJobCounts = workers.map { $0.counters.jobsRun.load(ordering: .relaxed) }
            return
        }
        var peersWithWork = 0
        for (position, peer) in workers.enumerated() where peer !== self {
            let started = peer.counters.jobsRun.load(ordering: .relaxed)
            defer { watchedJobCounts[position] = started }
            guard peer.hasLocalWork else { continue }
            peersWithWork += 1
            // The peer has started no job since the last look: what it holds is stuck.
            guard started == watchedJobCounts[position] else { continue }
            if let job = take(from: peer, atMost: .max, rescue: true) { pushBack(job) }
            if let job = peer.takeLIFO() {
                counters.stolenJobs.bump()
                counters.rescuedJobs.bump()
                pushBack(job)
            }
        }
        watchIdleLooks = peersWithWork == 0 ? watchIdleLooks + 1 : 0
        if watchIdleLooks >= SchedulerTuning.watchIdleLooks {
            watchIdleLooks = 0
            watchedJobCounts = []
            executor.releaseStuckWorkWatch(index)
        }
    }
}
