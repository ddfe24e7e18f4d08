// The work-stealing TaskExecutor: N long-lived worker threads, each with a bounded local
// queue and a LIFO slot, one shared injection queue, and one Parker per worker.
//
// Lifetime: the worker threads hold the executor strongly, so an executor lives until
// `shutdown()` has stopped them (or for the whole process, when it is the default
// executor); an executor dropped without `shutdown()` keeps its threads forever. Start-up: every worker thread calls `makeParker` itself, reports, and waits
// at a gate; `init` opens the gate only when all parkers exist, so no thread ever sees a
// worker without its parker. If any `makeParker` throws, or a thread cannot be created,
// `init` stops and joins the threads it started and rethrows the first error.
//
// Threads: `enqueue` is called from anywhere. On one of this executor's worker threads
// it touches only that worker's own queue (no lock); elsewhere it goes through the
// injection queue (one lock) and wakes a sleeping worker if nobody is searching.

@_spi(ExperimentalCustomExecutors) import _Concurrency
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A multi-threaded, work-stealing executor for Swift tasks.
///
/// Use it as a task executor preference (`Task(executorPreference:)`,
/// `withTaskExecutorPreference`), block on it from synchronous code with `run(_:)`, or make
/// it the process-wide default with `URingExecutorFactory`.
public final class URingExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: all stored properties are immutable after `init` returns, or are
    // Sendable (atomics, locks, Sendable classes); `workers` is published to the worker
    // threads by the start-up gate.

    /// Number of worker threads.
    public let workerCount: Int
    /// Capacity of each worker's local queue.
    public let queueCapacity: Int
    /// Where `Task.sleep` jobs wait for their deadline.
    public let timers: any JobTimers
    /// A job that keeps a worker busy longer than this is reported (nil: never).
    public let stallThreshold: Duration?
    /// Where stall reports go: the logger given to `init` or `useLogger(_:)`, else a
    /// `Logger(label: "swift-uring.executor")` made now.
    public var logger: Logger { reports.current }
    /// Where stall reports go (see ReportLogger); shared with a runtime that owns this executor.
    package let reports: ReportLogger
    /// `stallThreshold` in nanoseconds; 0 when disabled.
    let stallThresholdNanoseconds: UInt64
    /// The fork generation this executor was created in (see ForkDetection).
    let forkGeneration: UInt32

    let injection = InjectionQueue<UnownedJob>()
    let idle: IdleWorkers
    private(set) var workers: [Worker] = []
    /// `workers`, unretained, for the looks at peers' queues a worker takes whenever its
    /// own runs dry: reading `workers` retains its buffer, an atomic write that every
    /// worker made to one cache line (perf at 2 workers: a third of such a look's samples).
    /// Filled in init, freed in deinit; the workers live as long as the executor.
    private(set) var peers = UnsafeBufferPointer<Unmanaged<Worker>>(start: nil, count: 0)
    private(set) var unownedTaskExecutor: UnownedTaskExecutor! = nil

    /// `RunState` bits: shutdown has begun; this is a fork() child's copy (workers stop).
    private let runState = Atomic<UInt8>(0)
    let lifecycle = Lifecycle()
    private let threads = ThreadLock<[JoinableThread]>([])
    let isProcessDefault: Bool

    /// Index of the worker currently sleeping with a deadline for the timers, or -1.
    private let timerWatcher = Atomic<Int>(-1)
    /// The stuck-work watcher (Worker.swift): a worker index, `noWatcher`, or
    /// `watcherRequested` (a sleeper was woken to become it).
    private let stuckWorkWatcher = Atomic<Int>(-1)
    private static let noWatcher = -1
    private static let watcherRequested = -2
    let remoteEnqueues = Atomic<UInt64>(0)
    let notifications = Atomic<UInt64>(0)
    let forwardedAfterShutdown = Atomic<UInt64>(0)

    /// The number of CPUs online (at least 1).
    public static var defaultWorkerCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Starts `workers` worker threads.
    ///
    /// - Parameters:
    ///   - workers: number of worker threads, at least 1; defaults to the CPU count.
    ///   - queueCapacity: capacity of each worker's local queue; a power of two in 2...65_536.
    ///   - timers: where `Task.sleep` jobs wait; a `TimerHeap` unless a runtime supplies its own.
    ///   - stallThreshold: a job that keeps a worker busy for longer than this is reported
    ///     once, after it returns, as a warning on `logger` (metadata: `worker`,
    ///     `duration_ms`, `threshold_ms`) and counted in `metrics.stalls`; nil disables it.
    ///   - logger: where stall reports go; nil (the default) makes a
    ///     `Logger(label: "swift-uring.executor")` for each report as it is logged, so an
    ///     executor created before `LoggingSystem.bootstrap` still follows it.
    ///   - makeParker: creates worker `workerIndex`'s parker. It is called on that worker's
    ///     own thread, before the worker runs any job (so a parker may bind thread-affine
    ///     resources such as a SINGLE_ISSUER io_uring).
    /// - Throws: `URingExecutorError` for invalid arguments (`stallThreshold` zero or
    ///   negative is `.invalidStallThreshold`) or a failed `pthread_create`;
    ///   otherwise the first error `makeParker` threw (lowest worker index first). No thread
    ///   is left running when `init` throws.
    public convenience init(
        workers: Int = URingExecutor.defaultWorkerCount,
        queueCapacity: Int = 256,
        timers: any JobTimers = TimerHeap(),
        stallThreshold: Duration? = .milliseconds(10),
        logger: Logger? = nil,
        makeParker: @escaping @Sendable (_ workerIndex: Int) throws -> any Parker = { _ in ConditionParker() }
    ) throws {
        try self.init(workers: workers, queueCapacity: queueCapacity, timers: timers,
                      isProcessDefault: false, stallThreshold: stallThreshold,
                      reports: ReportLogger(logger, label: Self.loggerLabel), makeParker: makeParker)
    }

    /// The label of the logger stall reports go to when none was given.
    public static let loggerLabel = "swift-uring.executor"

    package init(
        workers: Int, queueCapacity: Int, timers: any JobTimers, isProcessDefault: Bool,
        stallThreshold: Duration? = .milliseconds(10),
        reports: ReportLogger = ReportLogger(nil, label: URingExecutor.loggerLabel),
        makeParker: @escaping @Sendable (_ workerIndex: Int) throws -> any Parker
    ) throws {
        guard workers >= 1 else { throw URingExecutorError.invalidWorkerCount(workers) }
        guard queueCapacity >= 2 && queueCapacity <= 65_536 && queueCapacity.nonzeroBitCount == 1 else {
            throw URingExecutorError.invalidQueueCapacity(queueCapacity)
        }
        self.stallThresholdNanoseconds = try StallClock.nanoseconds(stallThreshold)
        self.stallThreshold = stallThreshold
        self.reports = reports
        self.forkGeneration = ForkDetection.executorCreated()
        self.workerCount = workers
        self.queueCapacity = queueCapacity
        self.timers = timers
        self.isProcessDefault = isProcessDefault
        self.idle = IdleWorkers(workerCount: workers)
        self.unownedTaskExecutor = asUnownedTaskExecutor()
        self.workers = (0..<workers).map { Worker(index: $0, executor: self, queueCapacity: queueCapacity) }
        let peers = UnsafeMutableBufferPointer<Unmanaged<Worker>>.allocate(capacity: workers)
        _ = peers.initialize(from: self.workers.lazy.map { Unmanaged.passUnretained($0) })
        self.peers = UnsafeBufferPointer(peers)
        try startWorkers(makeParker: makeParker)
        if isProcessDefault { Immortal.make(self) }
    }

    private func startWorkers(makeParker: @escaping @Sendable (Int) throws -> any Parker) throws {
        let gate = StartGate(workerCount: workerCount)
        var started: [JoinableThread] = []
        for worker in workers {
            do {
                // The closure holds the executor (and so its workers) until the thread exits.
                started.append(try JoinableThread { [self, worker] in
                    self.workerThreadMain(worker, gate: gate, makeParker: makeParker)
                })
            } catch {
                gate.decide(go: false)
                started.forEach { $0.join() }
                throw error
            }
        }
        if let error = gate.waitForReports() {
            gate.decide(go: false)
            started.forEach { $0.join() }
            throw error
        }
        threads.withLock { $0 = started }
        gate.decide(go: true)
    }

    private func workerThreadMain(
        _ worker: Worker, gate: StartGate, makeParker: @Sendable (Int) throws -> any Parker
    ) {
        CurrentWorker.set(worker)
        defer { CurrentWorker.set(nil) }
        do {
            worker.install(try makeParker(worker.index))
            // Opens the thread's schedstat before `init` returns, so a caller that counts
            // descriptors after creating the executor sees it already.
            worker.prepareStallTimer()
            gate.report(worker.index, error: nil)
        } catch {
            gate.report(worker.index, error: error)
            return
        }
        if gate.waitForDecision() { worker.runLoop() }
        worker.closeStallTimer()
    }

    deinit {
        precondition(threads.withLock { $0.isEmpty }, "Internal inconsistency: executor freed with running workers")
        peers.deallocate()
    }

    /// Calls `body` with the worker at `index` of `peers` without retaining it (the
    /// executor holds every worker), and returns what it returns.
    @inline(__always)
    func withPeer<Result>(_ index: Int, _ body: (Worker) -> Result) -> Result {
        peers[index]._withUnsafeGuaranteedRef(body)
    }

    // MARK: Enqueue

    /// Schedules `job` (one resumption of a task). On one of this executor's workers it goes
    /// to that worker's LIFO slot or local queue without a lock (a `Task.yield()` goes to the
    /// back of the queue); from any other thread, to the injection queue, waking a sleeping
    /// worker. After `shutdown()` began, jobs go to Swift's global executor.
    public func enqueue(_ job: consuming ExecutorJob) {
        let isYield = job.kind.rawValue == JobKinds.nullaryContinuation
        schedule(UnownedJob(job), isYield: isYield)
    }

    /// Routes `job`: the calling worker's own queue if this is one of our worker threads,
    /// the injection queue otherwise, the fallback executor once shutdown has begun.
    func schedule(_ job: UnownedJob, isYield: Bool) {
        // Safety: the calling thread's worker outlives this call (CurrentWorker).
        if let current = CurrentWorker.unretainedWorker, current._withUnsafeGuaranteedRef({ worker in
            guard worker.executor === self, !isShuttingDown else { return false }
            if isYield { worker.counters.yieldsRequeued.bump() }
            worker.scheduleLocal(job, placement: isYield ? .back : .lifoSlot)
            return true
        }) {
            return
        }
        // Before any lock: in a fork() child, a lock some vanished thread held stays held.
        if isForkedAway { refuseInForkedChild() }
        remoteEnqueues.wrappingAdd(1, ordering: .relaxed)
        if isShuttingDown || !injection.push(job) {
            forwardToFallback(job)
            return
        }
        notifyParkedWorker()
    }

    private enum RunState {
        static let shuttingDown: UInt8 = 1
        static let forkedAway: UInt8 = 2
    }

    var isShuttingDown: Bool { runState.load(ordering: .acquiring) & RunState.shuttingDown != 0 }

    /// Whether worker loops must stop: shutdown, or (in a fork() child) the executor is a copy.
    var stopsWorkers: Bool { runState.load(ordering: .acquiring) != 0 }

    func beginShutdown() -> Bool {
        runState.bitwiseOr(RunState.shuttingDown, ordering: .acquiringAndReleasing).oldValue & RunState.shuttingDown == 0
    }

    /// Fork child handler, on the forking thread: if it was running this executor's
    /// loop, the loop ends at its next tick (in the child's copy of memory only).
    func stopWorkersInForkedChild() {
        runState.bitwiseOr(RunState.forkedAway, ordering: .relaxed)
    }

    // MARK: Waking workers

    /// Wakes one sleeping worker if work just became visible and nobody is searching.
    func notifyParkedWorker() {
        if let index = idle.workerToNotify() { wake(index) }
    }

    /// Unparks worker `index`, which IdleWorkers has just taken off its sleeper list.
    func wake(_ index: Int) {
        notifications.wrappingAdd(1, ordering: .relaxed)
        workers[index].parker.unpark()
    }

    /// Called by the last searcher before it sleeps: wake someone if any queue has work.
    func notifyIfWorkPending() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if workers.contains(where: { !$0.queue.isEmpty }) || !injection.isEmpty {
            notifyParkedWorker()
        }
    }

    func unparkAllWorkers() {
        for worker in workers { worker.parker.unpark() }
    }

    // MARK: Stuck-work watch

    /// A worker put work in its own LIFO slot or queue and woke nobody: if nobody watches
    /// for work stuck behind a job that does not return, and a worker sleeps, wake one to
    /// become the watcher. Cheap when a watch is on or every worker is busy (loads only).
    @inline(__always)
    func requestStuckWorkWatch() {
        guard workerCount > 1 else { return }
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard stuckWorkWatcher.load(ordering: .relaxed) == Self.noWatcher, idle.hasSleepers else { return }
        requestStuckWorkWatchSlowly()
    }

    @inline(never)
    private func requestStuckWorkWatchSlowly() {
        guard stuckWorkWatcher.compareExchange(
            expected: Self.noWatcher, desired: Self.watcherRequested, ordering: .sequentiallyConsistent
        ).exchanged else { return }
        if let sleeper = idle.workerToWatch() {
            wake(sleeper)
        } else {
            stuckWorkWatcher.store(Self.noWatcher, ordering: .sequentiallyConsistent)
        }
    }

    /// Whether worker `index`, about to park, watches for stuck work: it already does, it
    /// was asked to, or nobody watches while some peer holds local work (the pusher may have
    /// looked for a sleeper before this worker was one: it stored its job, then read the
    /// sleepers; this worker registered as a sleeper, then reads the peers' work; with the
    /// fences, one of the two sees the other).
    func claimStuckWorkWatch(_ index: Int) -> Bool {
        guard workerCount > 1 else { return false }
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        let current = stuckWorkWatcher.load(ordering: .sequentiallyConsistent)
        if current == index { return true }
        if current == Self.watcherRequested {
            return stuckWorkWatcher.compareExchange(
                expected: Self.watcherRequested, desired: index, ordering: .sequentiallyConsistent
            ).exchanged
        }
        guard current == Self.noWatcher,
            workers.contains(where: { $0.index != index && $0.hasLocalWork })
        else { return false }
        return stuckWorkWatcher.compareExchange(
            expected: Self.noWatcher, desired: index, ordering: .sequentiallyConsistent
        ).exchanged
    }

    /// The watcher saw no local work anywhere for a while and stops; it then looks once
    /// more, so work pushed by a worker that still saw the watch on is not left behind.
    func releaseStuckWorkWatch(_ index: Int) {
        guard stuckWorkWatcher.compareExchange(
            expected: index, desired: Self.noWatcher, ordering: .sequentiallyConsistent
        ).exchanged else { return }
        if workers.contains(where: { $0.hasLocalWork }) {
            _ = stuckWorkWatcher.compareExchange(
                expected: Self.noWatcher, desired: index, ordering: .sequentiallyConsistent)
        }
    }

    /// The watcher leaves its park to run work: it may be the next to get stuck, so it
    /// stops watching (a later push, or a worker parking next to local work, starts a new
    /// watch).
    func handOffStuckWorkWatch(_ index: Int) {
        _ = stuckWorkWatcher.compareExchange(expected: index, desired: Self.noWatcher, ordering: .sequentiallyConsistent)
    }

    // MARK: Timer watch

    /// A worker about to sleep becomes the one that sleeps until the next timer deadline,
    /// unless another worker already does.
    func claimTimerWatch(_ index: Int) -> Bool {
        timerWatcher.compareExchange(expected: -1, desired: index, ordering: .sequentiallyConsistent).exchanged
    }

    func releaseTimerWatch(_ index: Int) {
        _ = timerWatcher.compareExchange(expected: index, desired: -1, ordering: .sequentiallyConsistent)
    }

    /// A new earliest deadline exists: wake the watching worker so it re-arms its sleep.
    /// With no watcher, the next worker to sleep reads the new deadline itself.
    func timerDeadlineMovedEarlier() {
        let watcher = timerWatcher.load(ordering: .sequentiallyConsistent)
        if watcher >= 0 { workers[watcher].parker.unpark() }
    }

    /// Sends later stall reports to `logger`, for an executor created before the
    /// application set up logging (the process default, which starts before `main`).
    public func useLogger(_ logger: Logger) { reports.use(logger) }

    // MARK: Introspection

    /// Counters summed over all workers.
    public var metrics: ExecutorMetrics {
        var metrics = ExecutorMetrics()
        for worker in workers {
            worker.counters.add(to: &metrics)
        }
        metrics.notifications = notifications.load(ordering: .relaxed)
        metrics.remoteEnqueues = remoteEnqueues.load(ordering: .relaxed)
        metrics.forwardedAfterShutdown = forwardedAfterShutdown.load(ordering: .relaxed)
        return metrics
    }

    /// Each worker's own counters, in worker order (a relaxed read of each; the counters
    /// that belong to no worker, `notifications`, `remoteEnqueues` and
    /// `forwardedAfterShutdown`, are 0 here).
    public var metricsPerWorker: [ExecutorMetrics] {
        workers.map { worker in
            var metrics = ExecutorMetrics()
            worker.counters.add(to: &metrics)
            return metrics
        }
    }

    /// A one-line picture of the scheduler, for test diagnostics.
    var debugState: String {
        let queues = workers.map { "\($0.queue.count)" }.joined(separator: ",")
        return "searching=\(idle.searchingCount) unparked=\(idle.unparkedCount)/\(workerCount) "
            + "local=[\(queues)] injection=\(injection.count) shuttingDown=\(isShuttingDown) \(metrics)"
    }

    func takeThreads() -> [JoinableThread] {
        threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
    }
}

/// Raw job kinds from the runtime's ABI (`swift::JobKind`); only the one we act on.
enum JobKinds {
    /// `Task.yield()` (and the fallback path of `Task.sleep`) enqueue a job of this kind
    /// that, when run, resumes the suspended task.
    static let nullaryContinuation: UInt8 = 195
}
