// One worker thread's scheduler state and loop.
//
// Ownership: everything under "owner-only state" is touched only by this worker's
// thread (the loop, and `enqueue` calls made on this thread, e.g. from inside a job or
// from inside `parker.poll()`/`park()`), so it needs no lock. `queue` is stolen from by
// other workers through its own protocol; `parker.unpark()` is called from anywhere.
//
// One turn of the loop (a "tick") picks the next job in this order:
//   1. every `injectionInterval` ticks, the injection queue first (fairness for remote work);
//   2. the LIFO slot (the job woken or spawned last, for message-passing locality), at most
//      `lifoBudget` times in a row, after which the slot's job goes to the back of the queue
//      (or simply runs, if the queue is empty);
//   3. the local queue;
//   4. a batch from the injection queue;
//   5. before polling, part of a peer's queue when it holds more than this worker's
//      polls handed back since its queue last ran dry (`takePeerBacklog`); then, after a
//      `parker.poll()`: stealing half of a random victim's queue (if fewer than half the
//      workers search), then the injection queue again;
//   6. otherwise park: check-store-recheck through IdleWorkers, so no wake-up is lost.
// Every `pollInterval` ticks the worker also polls its parker and fires due timers.
//
// No ready job waits behind a job that does not return (it spins, or blocks) while
// another worker sleeps. The LIFO slot is an atomic word, so another worker can take its
// job; putting work in the LIFO slot or the queue without waking anyone asks for a
// stuck-work watcher (URingExecutor.requestStuckWorkWatch: one relaxed load when a watch
// is on or nobody sleeps). The watcher is a sleeping worker that parks with a short
// timeout (`watchInterval`) and, when a peer has local work and has not started a job
// since its previous look, steals that work (queue half and LIFO slot). It stops watching
// after `watchIdleLooks` looks that found no peer with local work, then re-checks once
// (a pusher that saw the watch still on is covered by that re-check). With one worker
// there is nobody to take the work: a job that never returns starves the rest.
//
// Stalls (StallDetection.swift): with a threshold set, the worker reads a clock once per
// job, when the job returns; `stallTimer` knows when the previous job returned or the
// last poll or park ended, so the difference is the job's own time.
//
// Fork: in a fork() child, this thread may be the copy of a worker that forked inside a
// job. If that job returns, the loop must not touch the parker (the ring is not mapped in
// the child) nor any lock (its holder may be a thread the child does not have). The fork
// handler sets the executor's stop flag in the child's copy, so the loop's existing
// per-tick check ends it, and the thread stops with the reason (never runs another job).
//
// Shutdown: when the executor's `isShuttingDown` is set, the loop stops taking new work
// from others, runs what is in its LIFO slot and local queue, then what is left in the
// injection queue, and exits. Jobs enqueued from then on are forwarded by the executor.

import Glibc
import Synchronization

struct SchedulerTuning {
    static let injectionInterval: UInt32 = 31
    static let pollInterval: UInt32 = 61
    static let lifoBudget = 3
    /// How often the stuck-work watcher looks at its peers.
    static let watchInterval = Duration.milliseconds(1)
    /// Looks in a row that found no peer with local work before the watcher stops.
    static let watchIdleLooks = 200
    /// A worker whose queue ran dry steals before polling its own ring when a peer has at
    /// least this many jobs queued, and more than its polls handed back since its queue
    /// last ran dry, plus one (see `takePeerBacklog`).
    static let balanceThreshold = 4
    /// A worker whose queue ran dry calls `sched_yield()` before it polls its ring, at most
    /// once per this many nanoseconds (see `findWorkAfterPolling`).
    static let yieldsBeforePolling = true
    static let yieldIntervalNanoseconds: UInt64 = 50_000
}

final class Worker: @unchecked Sendable {
    // @unchecked: the owner-only state below is touched only by this worker's thread (see
    // the file header); the shared fields are Sendable or set once before the thread starts
    // its loop (`parker`, published to others by the executor's start-up handshake).

    let index: Int
    /// Unowned to avoid a cycle; safe because the worker's thread holds the executor
    /// strongly for as long as it runs, and nothing else uses a worker after that.
    unowned(unsafe) let executor: URingExecutor
    /// The same executor and its shared parts as unretained references: the hot path uses
    /// them through `_withUnsafeGuaranteedRef`, so that it never retains or releases an
    /// object that other workers' threads retain too (a contended refcount costs a
    /// cache-line transfer per call).
    private let executorRef: Unmanaged<URingExecutor>
    private let injectionRef: Unmanaged<InjectionQueue<UnownedJob>>
    private let idleRef: Unmanaged<IdleWorkers>
    private let taskExecutor: UnownedTaskExecutor
    /// Whether the executor has other workers this one could wake.
    private let hasPeers: Bool
    let queue: LocalQueue<UnownedJob>
    let counters = WorkerCounters()
    private(set) var parker: any Parker = PlaceholderParker()

    /// The LIFO slot: an UnownedJob's bits, 0 when empty. The owner fills and empties it;
    /// the stuck-work watcher may take its job. Both sides take with an exchange, so a job
    /// is taken exactly once.
    private let lifo = Atomic<UInt>(0)

    // MARK: owner-only state
    // Safety (@exclusivity(unchecked) in release builds): only this worker's thread
    // touches these, and no access overlaps another to the same property; the dynamic
    // check per access (swift_beginAccess: a TLS lookup and an access-set insert, ~5% of
    // CPU in executor-bench's yield_many) buys nothing there. Debug builds, and so the
    // tests, keep the checks.
    private let leadingPadding = CacheLinePadding()
    #if DEBUG
    private var lifoStreak = 0
    private var tick: UInt32 = 0
    private var isSearching = false
    /// True while inside `park`: wakes caused by our own parker's events need no notify.
    private var isParking = false
    private var random: FastRandom
    /// Times jobs against the stall threshold (a copy of the executor's; 0 when disabled).
    private var stallTimer: StallTimer
    /// CLOCK_MONOTONIC nanoseconds of the last `sched_yield`.
    private var lastYield: UInt64 = 0
    /// `parker.operationsCompleted` when the queue last ran dry (`takePeerBacklog`).
    private var completedWhenLastDry = 0
    /// `counters.polls + counters.parks` when `takePeerBacklog` last took jobs (`.max`: never).
    private var ringVisitsWhenTaken = UInt64.max
    #else
    @exclusivity(unchecked) private var lifoStreak = 0
    @exclusivity(unchecked) private var tick: UInt32 = 0
    @exclusivity(unchecked) private var isSearching = false
    @exclusivity(unchecked) private var isParking = false
    @exclusivity(unchecked) private var random: FastRandom
    @exclusivity(unchecked) private var stallTimer: StallTimer
    /// CLOCK_MONOTONIC nanoseconds of the last `sched_yield`.
    @exclusivity(unchecked) private var lastYield: UInt64 = 0
    /// `parker.operationsCompleted` when the queue last ran dry (`takePeerBacklog`).
    @exclusivity(unchecked) private var completedWhenLastDry = 0
    /// `counters.polls + counters.parks` when `takePeerBacklog` last took jobs (`.max`: never).
    @exclusivity(unchecked) private var ringVisitsWhenTaken = UInt64.max
    #endif
    /// Watcher's view of each peer's `jobsRun` at its previous look.
    var watchedJobCounts: [UInt64] = []
    var watchIdleLooks = 0
    private let trailingPadding = CacheLinePadding()

    init(index: Int, executor: URingExecutor, queueCapacity: Int) {
        self.index = index
        self.executor = executor
        self.executorRef = Unmanaged.passUnretained(executor)
        self.injectionRef = Unmanaged.passUnretained(executor.injection)
        self.idleRef = Unmanaged.passUnretained(executor.idle)
        self.taskExecutor = executor.unownedTaskExecutor
        self.hasPeers = executor.workerCount > 1
        self.queue = LocalQueue(capacity: queueCapacity)
        self.random = FastRandom(seed: UInt32(truncatingIfNeeded: index &* 0x9E37_79B9 &+ 0x7F4A_7C15))
        self.stallTimer = StallTimer(threshold: executor.stallThresholdNanoseconds)
    }

    @inline(__always)
    private func withInjection<R>(_ body: (InjectionQueue<UnownedJob>) -> R) -> R {
        injectionRef._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    private func withIdle<R>(_ body: (IdleWorkers) -> R) -> R {
        idleRef._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    private func withExecutor<R>(_ body: (URingExecutor) -> R) -> R {
        executorRef._withUnsafeGuaranteedRef(body)
    }

    private var isStopping: Bool { withExecutor { $0.stopsWorkers } }

    /// Wakes a sleeping worker if work just appeared and nobody searches (see IdleWorkers).
    /// Only this worker's thread calls it: with no peers, the only worker is awake.
    private func notifyParked() {
        guard hasPeers else { return }
        if let sleeper = withIdle({ $0.workerToNotify() }) {
            withExecutor { $0.wake(sleeper) }
        }
    }

    // MARK: The LIFO slot

    private static func bits(_ job: UnownedJob) -> UInt { unsafeBitCast(job, to: UInt.self) }
    private static func job(_ bits: UInt) -> UnownedJob { unsafeBitCast(bits, to: UnownedJob.self) }

    /// Empties the LIFO slot (any thread); nil when it was empty.
    func takeLIFO() -> UnownedJob? {
        guard lifo.load(ordering: .relaxed) != 0 else { return nil }
        let taken = lifo.exchange(0, ordering: .acquiringAndReleasing)
        return taken == 0 ? nil : Self.job(taken)
    }

    /// Whether this worker has jobs of its own waiting (any thread; a snapshot).
    var hasLocalWork: Bool { lifo.load(ordering: .acquiring) != 0 || !queue.isEmpty }

    /// Called on the worker thread during start-up, before the loop runs.
    func install(_ parker: any Parker) {
        self.parker = parker
    }

    // MARK: Scheduling from this worker's own thread

    /// Where a job enqueued on a worker's own thread goes.
    enum Placement {
        /// The LIFO slot: a job just woken or spawned, run next for message-passing locality.
        case lifoSlot
        /// The back of the local queue: a yield, or a timer that fired (keeps deadline order).
        case back
    }

    /// Enqueues `job` from this worker's thread. No lock unless the local queue overflows.
    func scheduleLocal(_ job: UnownedJob, placement: Placement) {
        var shouldNotify: Bool
        switch placement {
        case .back:
            pushBack(job)
            shouldNotify = true
        case .lifoSlot:
            let displaced = lifo.exchange(Self.bits(job), ordering: .acquiringAndReleasing)
            if displaced != 0 {
                pushBack(Self.job(displaced))
                shouldNotify = true
            } else {
                shouldNotify = false
            }
        }
        if isParking { return }
        if shouldNotify { notifyParked() }
        // The job running now may never return (it spins or blocks): make sure a sleeping
        // worker watches for that, unless one does already.
        withExecutor { $0.requestStuckWorkWatch() }
    }

    func pushBack(_ job: UnownedJob) {
        let outcome = withInjection { queue.push(job, overflow: $0) }
        if case .overflowed(let count) = outcome {
            counters.overflowedJobs.bump(by: UInt64(count))
        }
    }

    // MARK: The loop

    func runLoop() {
        markIdleEnd()
        while !isStopping {
            tick &+= 1
            if tick % SchedulerTuning.pollInterval == 0 { maintenance() }
            if let job = nextJob() ?? findWorkAfterPolling() {
                run(job)
            } else {
                park()
            }
        }
        if executor.isForkedAway { stopForkedAway() }
        drainForShutdown()
    }

    private func run(_ job: UnownedJob) {
        if isSearching { leaveSearching() }
        counters.jobsRun.bump()
        let (job, isWakeUp) = TimerWakeUp.unmarked(job)
        if isWakeUp {
            job.runSynchronously(on: TimerWakeUp.genericExecutor)
        } else {
            job.runSynchronously(on: taskExecutor)
        }
        if stallTimer.threshold != 0, let elapsed = stallTimer.jobEnded() { reportStall(elapsed) }
    }

    @inline(never)
    private func reportStall(_ nanoseconds: UInt64) {
        counters.stalls.bump()
        withExecutor { $0.reportStall(worker: index, nanoseconds: nanoseconds) }
    }

    /// Start-up, on the worker thread: the stall timer's first mark (it opens the
    /// thread's schedstat there).
    func prepareStallTimer() { stallTimer.mark() }

    /// The loop has ended: release what the stall timer holds.
    func closeStallTimer() { stallTimer.close() }

    /// Restarts the stall clock after time that belongs to no job (a poll, a park).
    @inline(__always)
    private func markIdleEnd() {
        stallTimer.mark()
    }

    /// A job forked and the child returned to this copy of the worker loop: running the
    /// parent's queued jobs here would run them twice (once per process), and the parker
    /// is the parent's. Nothing sensible is left to do in the child.
    private func stopForkedAway() -> Never {
        fatalError(
            "a job forked this process and the child returned to worker \(index)'s loop instead of calling "
            + "exec or _exit: " + URingExecutor.forkedChildMessage)
    }

    private func nextJob() -> UnownedJob? {
        if tick % SchedulerTuning.injectionInterval == 0, let job = withInjection({ $0.pop() }) {
            counters.injectionPops.bump()
            return job
        }
        if let job = takeLIFO() {
            if lifoStreak < SchedulerTuning.lifoBudget {
                lifoStreak += 1
                counters.lifoHits.bump()
                return job
            }
            // Budget spent: two tasks waking each other must not starve the queue, so the
            // job goes behind what is queued. With nothing queued it would come straight
            // back, so run it (and spare the other workers a pointless wake-up).
            if queue.isEmpty {
                lifoStreak = 0
                return job
            }
            pushBack(job)
            notifyParked()
        }
        lifoStreak = 0
        if let job = queue.pop() { return job }
        return popInjectionBatch()
    }

    /// Takes one job to run plus a fair share of the injection queue into the local queue.
    private func popInjectionBatch() -> UnownedJob? {
        var moved: UInt64 = 0
        let job = withInjection { injection -> UnownedJob? in
            if injection.isEmpty { return nil }
            let share = injection.count / executor.workerCount + 1
            return injection.popBatch(limit: min(share, Int(queue.capacity) / 2)) { extra in
                moved += 1
                pushBack(extra)
            }
        }
        if job != nil { counters.injectionPops.bump(by: moved + 1) }
        return job
    }

    private func maintenance() {
        counters.polls.bump()
        parker.poll()
        fireDueTimers()
        markIdleEnd()
    }

    private func fireDueTimers() {
        // Asked inside the closure: `timers` taken out of it was retained and released at
        // every poll, by every worker, on the one shared object (a cache line both cores wrote).
        guard withExecutor({ $0.timers.hasPendingTimers }) else { return }
        let timers = withExecutor { $0.timers }
        timers.fireDue(now: .now) { job in
            counters.timersFired.bump()
            scheduleLocal(TimerWakeUp.marked(job), placement: .back)
        }
    }

    /// The local queue ran dry. Normally: poll the ring (submit what the jobs queued,
    /// reap what completed), then steal. But a task resumes on the worker whose ring
    /// completed its I/O, so an uneven split of I/O-bound tasks never evens out by itself:
    /// a worker left with one or two of them is never idle (its own completion is always
    /// there after a poll) and enters the kernel once per operation, while its peer
    /// batches thirty. So when a peer has a larger backlog than this worker holds, take
    /// part of it first (`takePeerBacklog`): the stolen tasks' next operations then batch
    /// on this ring.
    ///
    /// And when the previous poll found that this ring's operations do not complete at
    /// submission (sockets, pipes, timers, O_DIRECT reads under `.batched`), polling now
    /// would enter the kernel only to submit, and parking would enter it again to wait:
    /// skip the poll, so the park submits and waits in one io_uring_enter. The search still
    /// runs first: it is what looks at the injection queue and makes this worker a
    /// searcher, whose park rechecks that queue (without it, a job injected just before the
    /// park was lost).
    ///
    /// Before that poll the worker yields the CPU (`sched_yield`, which returns at once when
    /// nothing else is runnable on this CPU). A busy server's worker finds a completion at
    /// almost every poll, so it never blocks and is only preempted when its time slice
    /// ends: the threads that consume what it just sent (a client, a proxy, a load
    /// generator on the same cores) then wait milliseconds for their turn, and so do the
    /// requests queued behind it. Yielding here, between batches, hands them the CPU at a
    /// point where this worker holds no ready job (at most once per 50 us: `yieldIfDue`). Measured on 2 cores with wrk -t2 -c64 on
    /// loopback against HTTPServer's in-memory route: p99 7.3-7.9 ms without it in most
    /// runs, 2.3-3.1 ms with it; cached file reads at QD32 on one worker were unchanged.
    private func findWorkAfterPolling() -> UnownedJob? {
        if let job = takePeerBacklog() { return job }
        if parker.submissionsAwaitCompletion { return steal() }
        if SchedulerTuning.yieldsBeforePolling { yieldIfDue() }
        maintenance()
        if let job = nextJob() { return job }
        return steal()
    }

    /// Yields the CPU unless this worker did so less than `yieldIntervalNanoseconds` ago:
    /// a sched_yield costs about 0.5 us here, a clock read 22 ns, and one yield per 50 us
    /// of running already hands the CPU over far finer than a time slice (milliseconds).
    @inline(__always)
    private func yieldIfDue() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
        if nanoseconds &- lastYield < SchedulerTuning.yieldIntervalNanoseconds { return }
        counters.cpuYields.bump()
        sched_yield()
        lastYield = nanoseconds
    }

    /// Takes part of a peer's queue before polling, when the peer has at least
    /// `balanceThreshold` jobs queued and more than this worker's polls handed back since
    /// its queue last ran dry (`Parker.operationsCompleted`: about the tasks it keeps
    /// busy) plus one: about half the difference, so the two end up holding about as
    /// many tasks and neither has reason to take them back. An even split then stays put.
    /// (Taking half of any backlog of 4 moved one job in ten between the workers in
    /// uring-bench, 2 workers, cached 4 KiB reads at QD32, each to run with its frame in
    /// the other core's cache; and a worker holding 15 tasks that took half of a peer's 17
    /// would hold 23 against 9, and the peer would take them back.)
    private func takePeerBacklog() -> UnownedJob? {
        if !hasPeers { return nil }
        // Jobs taken at the previous look have not been through this worker's ring yet,
        // so `held` would leave them out and a second take overshoot: look again once
        // this worker has polled or parked (both visit the ring; then `held` counts them,
        // from the previous look on).
        let ringVisits = counters.polls.load(ordering: .relaxed) &+ counters.parks.load(ordering: .relaxed)
        if ringVisits == ringVisitsWhenTaken { return nil }
        let completed = parker.operationsCompleted
        let held = completed &- completedWhenLastDry
        completedWhenLastDry = completed
        // Outer nil: no peer's backlog is large enough; else what the take from the first
        // such peer gave (nil when there are searchers enough or a stealer came first).
        let taken: UnownedJob?? = firstFromPeers { victim in
            guard let limit = Self.backlogToTake(queued: victim.queue.count, held: held) else { return nil }
            return .some(becomeSearcher() ? take(from: victim, atMost: limit) : nil)
        }
        guard let job = taken ?? nil else { return nil }
        ringVisitsWhenTaken = ringVisits
        return job
    }

    /// How many of a peer's `queued` jobs to take before polling, for a worker whose polls
    /// handed back `held` since its queue last ran dry (see `takePeerBacklog`); nil: none.
    static func backlogToTake(queued: Int, held: Int) -> Int? {
        guard queued >= SchedulerTuning.balanceThreshold, queued > held + 1 else { return nil }
        return max(1, (queued - held) / 2)
    }

    // MARK: Searching

    private func steal() -> UnownedJob? {
        guard becomeSearcher() else { return nil }
        return firstFromPeers { take(from: $0, atMost: .max) } ?? popInjectionBatch()
    }

    /// Calls `body` with each other worker, unretained (`URingExecutor.peers`), starting
    /// from a random one, until it returns non-nil; returns that.
    private func firstFromPeers<Result>(_ body: (Worker) -> Result?) -> Result? {
        let count = withExecutor { $0.workerCount }
        let start = random.next(below: count)
        for offset in 0..<count {
            let position = (start + offset) % count
            if position == index { continue }
            if let result = withExecutor({ $0.withPeer(position, body) }) { return result }
        }
        return nil
    }

    /// Whether this worker is (now) a searcher; false when enough workers already search.
    private func becomeSearcher() -> Bool {
        if !isSearching { isSearching = withIdle { $0.transitionToSearching() } }
        return isSearching
    }

    /// Moves up to `limit` of `victim`'s queued jobs into this worker's queue and returns one
    /// of them, counted as a steal; `rescue`: the stuck-work watcher's take, also counted
    /// in `rescuedJobs`.
    func take(from victim: Worker, atMost limit: Int, rescue: Bool = false) -> UnownedJob? {
        guard let (job, moved) = victim.queue.steal(into: queue, atMost: limit) else { return nil }
        counters.steals.bump()
        counters.stolenJobs.bump(by: UInt64(moved))
        if rescue { counters.rescuedJobs.bump(by: UInt64(moved)) }
        return job
    }

    private func leaveSearching() {
        isSearching = false
        if withIdle({ $0.transitionFromSearching() }) {
            // The last searcher found work: there may be more, so wake someone to look.
            notifyParked()
        }
    }

    // MARK: Parking

    private func park() {
        if hasLocalWork { return }
        let wasLastSearcher = withIdle { $0.transitionToParked(index, isSearching: isSearching) }
        isSearching = false
        if wasLastSearcher { withExecutor { $0.notifyIfWorkPending() } }

        isParking = true
        while !isStopping {
            counters.parks.bump()
            let watchesTimers = withExecutor { $0.claimTimerWatch(index) }
            let watchesStuckWork = withExecutor { $0.claimStuckWorkWatch(index) }
            let timersPending = watchesTimers && withExecutor { $0.timers.hasPendingTimers }
            parker.park(deadline: timersPending || watchesStuckWork
                ? parkDeadline(watchesTimers: timersPending, watchesStuckWork: watchesStuckWork) : nil)
            if watchesTimers { withExecutor { $0.releaseTimerWatch(index) } }
            fireDueTimers()
            if watchesStuckWork { lookForStuckWork() }
            if leaveParked() { break }
        }
        isParking = false
        markIdleEnd()
        withExecutor { $0.handOffStuckWorkWatch(index) }
        if (lifo.load(ordering: .relaxed) != 0 ? 1 : 0) + queue.count > 1 {
            if !isSearching { notifyParked() }
            // More than the next job waits here: should that job not return, the rest
            // needs a watcher.
            withExecutor { $0.requestStuckWorkWatch() }
        }
    }

    /// When a park that watches pending timers or peers' stuck work must end: the earliest
    /// timer, or the next look at the peers. Out of line: the common park (no timer
    /// pending, no watch) does no clock arithmetic.
    @inline(never)
    private func parkDeadline(watchesTimers: Bool, watchesStuckWork: Bool) -> ContinuousClock.Instant? {
        var deadline = watchesTimers ? withExecutor { $0.timers.nextDeadline } : nil
        if watchesStuckWork {
            let look = ContinuousClock.now + SchedulerTuning.watchInterval
            deadline = min(deadline ?? look, look)
        }
        return deadline
    }

    /// Whether the worker may leave `park`: it has work of its own, or a notifier woke it
    /// (then it is searching).
    private func leaveParked() -> Bool {
        if hasLocalWork {
            // Woken by our own parker's events or timers: not a searcher unless a notifier
            // had already taken us off the sleeper list (and counted us as searching).
            isSearching = !withIdle { $0.unparkWorker(index) }
            return true
        }
        if withIdle({ $0.isParked(index) }) { return false }
        isSearching = true
        return true
    }

    // MARK: Shutdown

    private func drainForShutdown() {
        if isSearching {
            isSearching = false
            _ = withIdle { $0.transitionFromSearching() }
        }
        while true {
            if let job = takeLIFO() {
                run(job)
            } else if let job = queue.pop() {
                run(job)
            } else if let job = withInjection({ $0.pop() }) {
                counters.injectionPops.bump()
                run(job)
            } else {
                return
            }
        }
    }
}

/// Stands in for a worker's parker between the Worker's creation and `install`; never
/// used because no thread can reach the worker before its parker is installed.
private final class PlaceholderParker: Parker {
    func park(deadline: ContinuousClock.Instant?) {
        fatalError("Internal inconsistency: worker used before its parker was installed")
    }
    func poll() {}
    func unpark() {}
}
