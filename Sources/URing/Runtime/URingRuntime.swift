// URingRuntime: a URingExecutor whose every worker parks on, and polls, its own
// io_uring through a CompletionDriver. This is what users create.
//
// Shutdown, in order:
//   1. new operations are refused (URingError.shutdown);
//   2. each driver, on its own worker thread, cancels what it has in flight and waits
//      for every CQE, resuming each waiter with URingError.shutdown (or its result, if
//      it completed first);
//   3. the executor shuts down (runs what is queued, joins the threads; later jobs go to
//      the global executor), and the rings are closed with nothing left in them.
//
// Backends: io_uring, or a user-space emulation of it (epoll for sockets, pipes and
// eventfds, a blocking thread pool for files; Ring/Emulation) for processes where
// io_uring is blocked. `.automatic` (the default) uses io_uring when the first ring sets
// up and the emulation otherwise, logging why once per process: a service then still
// starts under Docker's default seccomp profile, and says so loudly.

import Dispatch
import Glibc

import Logging
import Synchronization
import URingExecutor

/// An io_uring-backed async runtime: worker threads that run Swift tasks and own one
/// ring each.
public final class URingRuntime: RemoteDriverSource, Sendable {
    /// Which machinery runs the rings.
    public enum Backend: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
        /// io_uring when it can be set up here, else `.fallback` (with a warning, logged
        /// once per process, that says why and how to enable io_uring). The default.
        case automatic
        /// io_uring or nothing: `init` throws `URingUnavailableError` when it is blocked.
        case ioURing = "io_uring"
        /// The emulation (epoll readiness for sockets, pipes and eventfds; a bounded
        /// blocking thread pool for files), even where io_uring works.
        case fallback

        /// The environment variable that picks the backend for a configuration that
        /// leaves `backend` at `.automatic`: `automatic`, `io_uring` or `fallback`.
        public static let environmentVariable = "SWIFT_URING_BACKEND"

        /// The name `SWIFT_URING_BACKEND` takes for it: `automatic`, `io_uring`, `fallback`.
        public var description: String { rawValue }
    }

    /// When the SQEs a worker prepares go to the kernel (`Configuration.submission`).
    ///
    /// A batch costs one io_uring_enter for all it carries and reaches the device in one
    /// go; entering as each operation starts (fio's pattern) costs one per operation and
    /// hands the device one request at a time. Which the device serves faster is its own
    /// property. On this project's 2-core VM (virtio-blk), 4 KiB O_DIRECT random reads at
    /// 32 in flight did 0.97x fio's IOPS entering each and 0.86x batched (traced per
    /// request, batched reads spent about 110 us longer at the device), at about 1.5x the
    /// CPU per read; from 96 in flight both did the same. Cached reads gain nothing from it.
    /// Contiguous requests are the exception: the block layer merges those that reach it in
    /// one submission, so sequential O_DIRECT reads and writes with several in flight go
    /// faster batched (4 KiB sequential reads at 32 in flight: 1.9x entering each).
    public enum Submission: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
        /// Everything waits for the worker's next poll or park: one enter per batch.
        case batched
        /// Reads and writes of files opened with `.direct` enter the kernel as they start
        /// (the device works while the task returns and its worker parks), except one that
        /// begins where a recent one of its kind on that worker ended (up to four streams
        /// each of reads and writes are followed), on the same file, while that one is
        /// still in flight: it waits for the batch, where the block layer can merge it with
        /// its neighbours (`DriverStatistics.contiguousDirectIOBatched` counts them). The
        /// rest is batched. The default.
        case directIOAtOnce = "direct"
        /// Every single-shot operation enters so, contiguous O_DIRECT requests too.
        case eachAtOnce = "each"

        /// The environment variable that sets it on the process-default runtime:
        /// `batched`, `direct` or `each`.
        public static let environmentVariable = "SWIFT_URING_SUBMIT"

        /// The name `SWIFT_URING_SUBMIT` takes for it.
        public var description: String { rawValue }
    }

    /// How a runtime is set up.
    public struct Configuration: Sendable {
        /// Worker threads, each with its own ring (default: the number of CPUs).
        public var workers: Int
        /// Submission queue entries per ring (the CQ gets twice as many).
        public var ringEntries: UInt32
        /// Capacity of each worker's local run queue (a power of two).
        public var queueCapacity: Int
        /// Use IORING_SETUP_DEFER_TASKRUN (Linux 6.1): completion work runs only when
        /// the worker polls or parks.
        public var deferTaskRun: Bool
        /// Faults injected into every ring (tests only; SPI, as the ring layer is).
        @_spi(URingInternals) public var ringFaults: RingFaults?
        /// Each worker ring's provided-buffer pool for multishot stream receives, set up
        /// on a ring's first receive (`count` 0 turns multishot receives off).
        public var receiveBufferPool = ReceiveBufferPoolConfiguration()
        /// Fixed buffers every worker ring registers (nil, the default: none). Reads and
        /// writes into them are READ_FIXED/WRITE_FIXED; lease them from
        /// `URingRuntime.fixedBuffers`.
        public var fixedBuffers: FixedBufferConfiguration?
        /// Slots in every worker ring's registered file table (0, the default: none).
        /// Files registered through `URingRuntime.registeredFiles` are named by slot in
        /// their reads and writes (IOSQE_FIXED_FILE). At most
        /// `RegisteredFiles.maximumCapacity`, and the kernel refuses more than the
        /// process's RLIMIT_NOFILE (the rings then use plain descriptors; see
        /// `RegisteredFiles.registrationError`). `SWIFT_URING_REGISTERED_FILES=N` sets it
        /// on the default runtime.
        public var registeredFiles = 0
        /// When prepared SQEs go to the kernel (default `.directIOAtOnce`): reads and writes
        /// of O_DIRECT files go as they start (unless they continue one still in flight),
        /// everything else goes in one io_uring_enter at the worker's next poll or park.
        /// `SWIFT_URING_SUBMIT` (batched|direct|each) sets it on the default runtime.
        public var submission = Submission.directIOAtOnce
        /// How long a worker with operations other than timers in flight keeps polling its
        /// ring before it sleeps there (default zero: it sleeps at once). 0...1 s;
        /// `SWIFT_URING_SPIN_MICROSECONDS` sets it on the default runtime. Long-lived
        /// operations count too: a server's armed multishot accept or receive makes its
        /// worker poll after every wake-up.
        ///
        /// Polling keeps the worker's CPU busy: it buys latency with CPU, so turn it on
        /// where a CPU waking from idle is slow and cores are to spare. On this project's
        /// 2-core VM (a halted vCPU waits for the host to run it again) 4 KiB O_DIRECT reads
        /// one at a time did 1.26x the IOPS with 50 us (p50 36 against 46 us), using a
        /// whole core instead of half of one (1.6x the CPU per read); at 32 in flight, 1 ms
        /// bought 3% at twice the CPU per read. The rings then ask for
        /// IORING_SETUP_TASKRUN_FLAG, so a polling worker reads memory and enters the kernel
        /// only when it has completion work for that thread (on a kernel without the flag
        /// each poll enters; on the fallback backend each poll is a look of its own, without
        /// blocking).
        public var spinBeforeParking = Duration.zero
        /// The range `spinBeforeParking` must lie in.
        static let spinBeforeParkingRange = Duration.zero...Duration.seconds(1)
        /// IORING_SETUP_SQPOLL (default nil: off): every worker ring gets a kernel thread
        /// that takes SQEs from the queue as they are prepared, so submitting needs no
        /// system call while that thread is awake; it sleeps after this long without work
        /// (whole milliseconds, 1 ms...60 s) and the next submission wakes it (one
        /// io_uring_enter). `SWIFT_URING_SQPOLL_MILLISECONDS` sets it on the default
        /// runtime.
        ///
        /// Each poller keeps a CPU busy while awake, beside the worker it serves: on this
        /// project's 2-core VM it lost to the default at every workload measured (README).
        /// The kernel refuses SQPOLL with DEFER_TASKRUN (`deferTaskRun` must be false) and
        /// with COOP_TASKRUN and TASKRUN_FLAG, so these rings have neither: completion work
        /// runs on the poller's thread, and a worker with `spinBeforeParking` enters the
        /// kernel at each poll. The fallback backend ignores it.
        public var submissionPollIdle: Duration?
        /// The range `submissionPollIdle` must lie in.
        static let submissionPollIdleRange = Duration.milliseconds(1)...Duration.seconds(60)
        /// io_uring, the fallback, or whichever works (default). With `.automatic`, the
        /// environment variable `SWIFT_URING_BACKEND` (automatic|io_uring|fallback)
        /// decides; an explicit `.ioURing` or `.fallback` here wins over it.
        public var backend: Backend
        /// A job that keeps a worker busy for longer than this is reported once, as a
        /// warning on `logger` with the worker and the duration (nil: no reports). A
        /// worker that blocks stalls every task and I/O completion queued behind it.
        public var stallThreshold: Duration? = .milliseconds(10)
        /// Where the runtime's reports go: stalled workers, the fallback warning, a
        /// listener's accept errors. Unless set, each report is logged on a
        /// `Logger(label: "swift-uring")` made as it is logged (reading this property makes
        /// one too), so the reports of a runtime created before `LoggingSystem.bootstrap`
        /// (the process default) still go through the handler it installs.
        public var logger: Logger {
            get { givenLogger ?? Logger(label: URingRuntime.loggerLabel) }
            set { givenLogger = newValue }
        }
        /// The logger set through `logger`, if any.
        var givenLogger: Logger?

        /// A configuration; the values are checked when the runtime starts, where an invalid one
        /// makes `URingRuntime.init` throw (`URingExecutorError` for workers and queue capacity,
        /// `URingError.invalidArgument` for ring entries outside 2...32768). `stallThreshold`,
        /// `logger` and `receiveBufferPool` keep their defaults; set them on the value.
        public init(
            workers: Int = URingExecutor.defaultWorkerCount,
            ringEntries: UInt32 = 256,
            queueCapacity: Int = 256,
            deferTaskRun: Bool = false,
            backend: Backend = .automatic
        ) {
            self.init(
                workers: workers, ringEntries: ringEntries, queueCapacity: queueCapacity, deferTaskRun: deferTaskRun,
                ringFaults: nil, backend: backend)
        }

        /// A configuration whose rings inject `ringFaults` (tests only). `ringFaults` has no
        /// default, so a call without it always picks the public initializer.
        @_spi(URingInternals) public init(
            workers: Int = URingExecutor.defaultWorkerCount,
            ringEntries: UInt32 = 256,
            queueCapacity: Int = 256,
            deferTaskRun: Bool = false,
            ringFaults: RingFaults?,
            backend: Backend = .automatic
        ) {
            self.workers = workers
            self.ringEntries = ringEntries
            self.queueCapacity = queueCapacity
            self.deferTaskRun = deferTaskRun
            self.ringFaults = ringFaults
            self.backend = backend
        }

        func ringOptions(emulated: Bool) -> RingOptions {
            // SQPOLL rings can have neither task-run flag (the kernel refuses the setup).
            let polled = submissionPollIdle != nil
            return RingOptions(
                submissionQueueEntries: ringEntries, singleIssuer: true, deferTaskRun: deferTaskRun,
                cooperativeTaskRun: !deferTaskRun && !polled, taskRunFlag: spinBeforeParking > .zero && !polled,
                submissionPollIdle: submissionPollIdle, faults: ringFaults, emulated: emulated)
        }

        /// `backend`, or for `.automatic` what SWIFT_URING_BACKEND names.
        func resolvedBackend() throws(URingError) -> Backend {
            guard let raw = getenv(Backend.environmentVariable) else { return backend }
            let value = String(cString: raw)
            guard let fromEnvironment = Backend(rawValue: value.lowercased()) else {
                throw URingError.invalidArgument(
                    "\(Backend.environmentVariable) must be automatic, io_uring or fallback, not \"\(value)\"")
            }
            return backend == .automatic ? fromEnvironment : backend
        }
    }

    /// The executor that runs this runtime's tasks.
    public let executor: URingExecutor
    /// The configuration the runtime was started with, as given (`backend` tells which
    /// backend `.automatic` chose; `DriverStatistics.ring` which ring flags the kernel granted).
    public let configuration: Configuration
    let drivers: [CompletionDriver]
    /// The fixed buffers of `Configuration.fixedBuffers`, registered with every worker
    /// ring (nil when the configuration asks for none).
    public let fixedBuffers: FixedBufferPool?
    /// The registered file table of `Configuration.registeredFiles` (nil when it is 0).
    public let registeredFiles: RegisteredFiles?
    /// The backend in use: `.ioURing` or `.fallback` (never `.automatic`).
    public let backend: Backend
    /// Why `.automatic` fell back to the emulation (io_uring's setup error); nil when
    /// io_uring is in use or the fallback was asked for.
    public let fallbackReason: URingUnavailableError?
    /// Whether this runtime is the process-wide default executor (`URingRuntimeFactory`).
    public let isProcessDefault: Bool
    /// The label of the logger the runtime's reports go to when the configuration names none.
    public static let loggerLabel = "swift-uring"
    /// Where reports go (`Configuration.logger`, or `useLogger(_:)`); shared with the executor.
    let reports: ReportLogger
    private let state = ThreadLock<(shutDown: Bool, nextRemote: Int)>((false, 0))
    /// Held for the whole of `shutdown()`.
    private let shutdownSequence = ThreadLock(())

    /// Starts the worker threads and their rings.
    ///
    /// - Throws: `URingUnavailableError` when the backend is `.ioURing` and io_uring
    ///   cannot be used here (its message says why and what to do);
    ///   `URingError.invalidArgument` for an invalid SWIFT_URING_BACKEND or ring size;
    ///   `URingExecutorError` for invalid executor values.
    public convenience init(_ configuration: Configuration = Configuration()) throws {
        try self.init(configuration, isProcessDefault: false)
    }

    /// `isProcessDefault`: this runtime backs `URingRuntimeFactory` and lives as long as
    /// the process (it cannot be shut down); it holds its reports for a logger to be handed
    /// over for `heldReportsDelay`.
    init(
        _ configuration: Configuration, isProcessDefault: Bool,
        heldReportsDelay: DispatchTimeInterval = URingRuntime.heldReportsDelay
    ) throws {
        guard configuration.ringEntries >= 2 && configuration.ringEntries <= 32_768 else {
            throw URingError.invalidArgument("ringEntries must be 2...32768, not \(configuration.ringEntries)")
        }
        if let reason = configuration.receiveBufferPool.invalidReason { throw URingError.invalidArgument(reason) }
        if let reason = configuration.fixedBuffers?.invalidReason { throw URingError.invalidArgument(reason) }
        guard Configuration.spinBeforeParkingRange.contains(configuration.spinBeforeParking) else {
            throw URingError.invalidArgument(
                "spinBeforeParking must be 0...1 s, not \(configuration.spinBeforeParking)")
        }
        if let reason = RegisteredFiles.invalidReason(configuration.registeredFiles) {
            throw URingError.invalidArgument(reason)
        }
        if let idle = configuration.submissionPollIdle {
            guard Configuration.submissionPollIdleRange.contains(idle) else {
                throw URingError.invalidArgument("submissionPollIdle must be 1 ms...60 s, not \(idle)")
            }
            guard !configuration.deferTaskRun else {
                throw URingError.invalidArgument(
                    "submissionPollIdle (SQPOLL) cannot be combined with deferTaskRun: the kernel refuses DEFER_TASKRUN on an SQPOLL ring")
            }
        }
        // The process default starts before `main` could set up logging: its reports wait
        // for `useLogger(_:)` or, at the latest, `heldReportsDelay`.
        let reports = ReportLogger(
            configuration.givenLogger, label: Self.loggerLabel,
            holdsReports: isProcessDefault && configuration.givenLogger == nil)
        let started: Started
        switch try configuration.resolvedBackend() {
        case .ioURing:
            started = try Self.start(configuration, emulated: false, isProcessDefault: isProcessDefault, reports: reports)
            backend = .ioURing
            fallbackReason = nil
        case .fallback:
            started = try Self.start(configuration, emulated: true, isProcessDefault: isProcessDefault, reports: reports)
            backend = .fallback
            fallbackReason = nil
        case .automatic:
            do {
                started = try Self.start(configuration, emulated: false, isProcessDefault: isProcessDefault, reports: reports)
                backend = .ioURing
                fallbackReason = nil
            } catch let reason as URingUnavailableError {
                started = try Self.start(configuration, emulated: true, isProcessDefault: isProcessDefault, reports: reports)
                backend = .fallback
                fallbackReason = reason
                FallbackNotice.shared.report(reason) { reports.log(.warning, "\($0)") }
            }
        }
        (executor, drivers, fixedBuffers, registeredFiles) =
            (started.executor, started.drivers, started.fixedBuffers, started.registeredFiles)
        registeredFiles?.attach(drivers)
        self.configuration = configuration
        self.isProcessDefault = isProcessDefault
        self.reports = reports
        if reports.isHoldingReports {
            DispatchQueue.global().asyncAfter(deadline: .now() + heldReportsDelay) {
                reports.releaseHeldReports()
            }
            HeldReportsAtExit.add(reports)
        }
        RuntimeRegistry.add(self)
    }

    /// How long a process-default runtime keeps its reports (the fallback warning, a stall
    /// before `main`) for a logger to be handed over; then they go to a
    /// `Logger(label: "swift-uring")` made through the `LoggingSystem` of that moment.
    static let heldReportsDelay = DispatchTimeInterval.seconds(1)

    /// Sends this runtime's later reports (stalls, accept errors) to `logger`. For the
    /// process-default runtime, which starts before `main` can set up logging: hand over
    /// the application's logger after `LoggingSystem.bootstrap`, and the reports made
    /// before (the fallback warning) go to it too, rather than to a logger made a second
    /// after start.
    public func useLogger(_ logger: Logger) { reports.use(logger) }

    /// What `start` made.
    private struct Started {
        let executor: URingExecutor
        let drivers: [CompletionDriver]
        let fixedBuffers: FixedBufferPool?
        let registeredFiles: RegisteredFiles?
    }

    /// Starts the executor with one driver (and ring, real or emulated) per worker.
    private static func start(
        _ configuration: Configuration, emulated: Bool, isProcessDefault: Bool, reports: ReportLogger
    ) throws -> Started {
        let created = ThreadLock<[Int: CompletionDriver]>([:])
        let options = configuration.ringOptions(emulated: emulated)
        let receiveBufferPool = configuration.receiveBufferPool
        let workers = configuration.workers
        let fixedBuffers = try configuration.fixedBuffers.map { shape throws(Errno) in
            try FixedBufferPool(shape, rings: workers)
        }
        let registeredFiles =
            configuration.registeredFiles > 0
            ? RegisteredFiles(capacity: configuration.registeredFiles, rings: workers) : nil
        let timers = RingTimers()
        let executor = try URingExecutor(
            workers: configuration.workers, queueCapacity: configuration.queueCapacity, timers: timers,
            isProcessDefault: isProcessDefault, stallThreshold: configuration.stallThreshold,
            reports: reports
        ) { index in
            let driver = try CompletionDriver(
                index: index, options: options, receiveBufferPool: receiveBufferPool, fixedBuffers: fixedBuffers,
                registeredFiles: registeredFiles,
                submission: configuration.submission, spinBeforeParking: configuration.spinBeforeParking)
            driver.timerFallback = timers.fallback
            created.withLock { $0[index] = driver }
            return driver
        }
        return Started(
            executor: executor, drivers: created.withLock { all in (0..<configuration.workers).map { all[$0]! } },
            fixedBuffers: fixedBuffers, registeredFiles: registeredFiles)
    }

    /// Runs `body` on this runtime and blocks the calling thread until it finishes (the
    /// `block_on` of other runtimes). Must not be called from a worker thread.
    public func run<Result: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () async throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try executor.run(body)
    }

    /// Stops the runtime: cancels in-flight operations (their callers get
    /// `URingError.shutdown`), waits for every CQE, stops the worker threads, then closes
    /// every ring and wake eventfd (when it returns, the runtime holds no descriptor, even
    /// if tasks still reference it). Idempotent; blocks until done.
    ///
    /// - Precondition: not called on one of this runtime's worker threads (it would wait
    ///   for itself). From async code, `await shutdown()` is safe anywhere.
    public func shutdown() {
        // In a fork() child no worker exists to answer the drivers' shutdown handshake.
        if executor.isForkedAway { return }
        precondition(!isProcessDefault, "URingRuntime.shutdown() called on the process-default runtime, which lives as long as the process")
        precondition(
            !executor.isCurrentWorkerThread,
            "URingRuntime.shutdown() called on one of its own worker threads; use `await runtime.shutdown()`")
        // One caller runs the whole sequence; a concurrent caller waits for it to finish.
        shutdownSequence.withLock { _ in
            // Set only here, under this lock: a later caller finds the sequence complete.
            guard !isShutDown else { return }
            state.withLock { $0.shutDown = true }
            RuntimeRegistry.remove(self)
            let latch = DispatchSemaphore(value: 0)
            for driver in drivers {
                driver.post(.shutdown(latch))
            }
            for _ in drivers { latch.wait() }
            executor.shutdown()
            // The worker threads are joined: release the rings and eventfds now, whoever
            // still holds a reference to the runtime or its executor.
            for driver in drivers { driver.closeDescriptors() }
            // Their tables went with the rings: a File closed later frees its slot at once.
            registeredFiles?.detach()
        }
    }

    /// Stops the runtime like `shutdown()`, from any async context (also a task running
    /// on this runtime): the blocking part runs on a thread that is not a worker.
    public func shutdown() async {
        // In a fork() child (where Dispatch is disabled) there is nothing to stop.
        if executor.isForkedAway { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.shutdown()
                continuation.resume()
            }
        }
    }

    /// Whether `shutdown()` has begun.
    public var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// Whether this runtime was created before a fork() (in the child it has no threads).
    var isForkedAway: Bool { executor.isForkedAway }

    /// A worker's driver for an operation started on a thread that owns no ring.
    func nextDriverForRemoteCaller() -> CompletionDriver? {
        state.withLock { state in
            guard !state.shutDown else { return nil }
            state.nextRemote &+= 1
            return drivers[state.nextRemote % drivers.count]
        }
    }

    // MARK: Deadlines

    /// Runs `body` so that every swift-uring operation it starts is cut short (with
    /// `URingError.deadlineExceeded`) if it has not finished by `deadline`. Nested
    /// deadlines keep the earlier one.
    public static func withDeadline<Result>(
        _ deadline: ContinuousClock.Instant, _ body: () async throws -> Result
    ) async rethrows -> Result {
        try await OperationDeadline.with(deadline, body)
    }

    /// `withDeadline(.now + timeout, body)`.
    public static func withTimeout<Result>(
        _ timeout: Duration, _ body: () async throws -> Result
    ) async rethrows -> Result {
        try await withDeadline(ContinuousClock.now + timeout, body)
    }
}

/// Reports a process-default runtime still holds when the process exits (it ended within
/// `heldReportsDelay` and handed no logger over) are logged at exit, not lost.
enum HeldReportsAtExit {
    private static let pending = ThreadLock<[ReportLogger]>([])
    private static let registered: Void = {
        atexit { HeldReportsAtExit.releaseAll() }
    }()

    static func add(_ reports: ReportLogger) {
        _ = registered
        pending.withLock { $0.append(reports) }
    }

    private static func releaseAll() {
        for reports in pending.withLock({ $0 }) { reports.releaseHeldReports() }
    }
}

/// The warning `.automatic` logs, once per process, when it falls back.
final class FallbackNotice: Sendable {
    static let shared = FallbackNotice()

    private let reported = Atomic<Bool>(false)

    /// Hands the message for `reason` to `log` (the runtime's logger) the first time only;
    /// true if this call logged.
    @discardableResult
    func report(_ reason: URingUnavailableError, log: (String) -> Void) -> Bool {
        guard !reported.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        log(Self.message(for: reason))
        return true
    }

    static func message(for reason: URingUnavailableError) -> String {
        "\(reason) swift-uring runs on its fallback backend instead (epoll for sockets, a blocking thread "
            + "pool for files): it works, but slower than io_uring. Set \(URingRuntime.Backend.environmentVariable)"
            + "=fallback to choose it knowingly, or =io_uring to fail instead. (Logged once per process.)"
    }
}
