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

import Dispatch
import Synchronization
import URingExecutor

/// An io_uring-backed async runtime: worker threads that run Swift tasks and own one
/// ring each.
public final class URingRuntime: Sendable {
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
        /// Faults injected into every ring (tests only).
        public var ringFaults: RingFaults?

        public init(
            workers: Int = URingExecutor.defaultWorkerCount,
            ringEntries: UInt32 = 256,
            queueCapacity: Int = 256,
            deferTaskRun: Bool = false,
            ringFaults: RingFaults? = nil
        ) {
            self.workers = workers
            self.ringEntries = ringEntries
            self.queueCapacity = queueCapacity
            self.deferTaskRun = deferTaskRun
            self.ringFaults = ringFaults
        }

        var ringOptions: RingOptions {
            RingOptions(
                submissionQueueEntries: ringEntries, singleIssuer: true, deferTaskRun: deferTaskRun,
                cooperativeTaskRun: !deferTaskRun, faults: ringFaults)
        }
    }

    /// The executor that runs this runtime's tasks.
    public let executor: URingExecutor
    public let configuration: Configuration
    private let drivers: [CompletionDriver]
    /// Whether this runtime is the process-wide default executor (`URingRuntimeFactory`).
    public let isProcessDefault: Bool
    private let state = ThreadLock<(shutDown: Bool, nextRemote: Int)>((false, 0))

    /// Starts the worker threads and their rings.
    ///
    /// - Throws: `URingUnavailableError` when io_uring cannot be used here (its message
    ///   says why and what to do), `URingExecutorError` for invalid configuration values.
    public convenience init(_ configuration: Configuration = Configuration()) throws {
        try self.init(configuration, isProcessDefault: false)
    }

    /// `isProcessDefault`: this runtime backs `URingRuntimeFactory` and lives as long as
    /// the process (it cannot be shut down).
    init(_ configuration: Configuration, isProcessDefault: Bool) throws {
        guard configuration.ringEntries >= 2 && configuration.ringEntries <= 32_768 else {
            throw URingError.invalidArgument("ringEntries must be 2...32768, not \(configuration.ringEntries)")
        }
        let created = ThreadLock<[Int: CompletionDriver]>([:])
        let options = configuration.ringOptions
        let timers = RingTimers()
        executor = try URingExecutor(
            workers: configuration.workers, queueCapacity: configuration.queueCapacity, timers: timers,
            isProcessDefault: isProcessDefault
        ) { index in
            let driver = try CompletionDriver(index: index, options: options)
            driver.timerFallback = timers
            created.withLock { $0[index] = driver }
            return driver
        }
        drivers = created.withLock { all in (0..<configuration.workers).map { all[$0]! } }
        self.configuration = configuration
        self.isProcessDefault = isProcessDefault
        RuntimeRegistry.add(self)
    }

    /// Runs `body` on this runtime and blocks the calling thread until it finishes (the
    /// `block_on` of other runtimes). Must not be called from a worker thread.
    public func run<Result: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () async throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try executor.run(body)
    }

    /// Stops the runtime: cancels in-flight operations (their callers get
    /// `URingError.shutdown`), waits for every CQE, then stops the worker threads.
    /// Idempotent; blocks until done.
    ///
    /// - Precondition: not called on one of this runtime's worker threads (it would wait
    ///   for itself). From async code, `await shutdown()` is safe anywhere.
    public func shutdown() {
        precondition(!isProcessDefault, "URingRuntime.shutdown() called on the process-default runtime, which lives as long as the process")
        precondition(
            !executor.isCurrentWorkerThread,
            "URingRuntime.shutdown() called on one of its own worker threads; use `await runtime.shutdown()`")
        let first = state.withLock { state in
            defer { state.shutDown = true }
            return !state.shutDown
        }
        RuntimeRegistry.remove(self)
        if first {
            let latch = DispatchSemaphore(value: 0)
            for driver in drivers {
                driver.post(.shutdown(latch))
            }
            for _ in drivers { latch.wait() }
        }
        executor.shutdown()
    }

    /// Stops the runtime like `shutdown()`, from any async context (also a task running
    /// on this runtime): the blocking part runs on a thread that is not a worker.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.shutdown()
                continuation.resume()
            }
        }
    }

    /// Whether `shutdown()` has begun.
    public var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// A worker's driver for an operation started on a thread that owns no ring.
    func nextDriverForRemoteCaller() -> CompletionDriver? {
        state.withLock { state in
            guard !state.shutDown else { return nil }
            state.nextRemote &+= 1
            return drivers[state.nextRemote % drivers.count]
        }
    }

    static func driverForRemoteCallers() -> CompletionDriver? {
        (RuntimeRegistry.preferred ?? RuntimeRegistry.newest())?.nextDriverForRemoteCaller()
    }

    // MARK: Deadlines

    @TaskLocal static var deadline: ContinuousClock.Instant?

    static var currentDeadline: ContinuousClock.Instant? { deadline }

    /// Runs `body` so that every swift-uring operation it starts is cut short (with
    /// `URingError.deadlineExceeded`) if it has not finished by `deadline`. Nested
    /// deadlines keep the earlier one.
    public static func withDeadline<Result>(
        _ deadline: ContinuousClock.Instant, _ body: () async throws -> Result
    ) async rethrows -> Result {
        let effective = Self.deadline.map { min($0, deadline) } ?? deadline
        return try await $deadline.withValue(effective, operation: body)
    }

    /// `withDeadline(.now + timeout, body)`.
    public static func withTimeout<Result>(
        _ timeout: Duration, _ body: () async throws -> Result
    ) async rethrows -> Result {
        try await withDeadline(ContinuousClock.now + timeout, body)
    }
}

/// The runtimes alive in this process, newest last; calls from threads that own no
/// ring go to the newest.
enum RuntimeRegistry {
    private static let runtimes = ThreadLock<[URingRuntime]>([])

    /// Overrides "the newest" for the calls a task makes (tests run many runtimes at once).
    @TaskLocal static var preferred: URingRuntime?

    static func add(_ runtime: URingRuntime) { runtimes.withLock { $0.append(runtime) } }
    static func remove(_ runtime: URingRuntime) { runtimes.withLock { $0.removeAll { $0 === runtime } } }
    static func newest() -> URingRuntime? { runtimes.withLock { $0.last } }
}
