// Which driver serves a call made on a thread that owns no ring (MainActor, Dispatch,
// another executor): a worker of the preferred runtime (a task-local, for tests that run
// several at once) or of the newest one alive. Runtimes register here when they start and
// leave when they shut down; this layer knows them only as `RemoteDriverSource`.

import URingExecutor

/// What a runtime offers callers on threads that own no ring.
protocol RemoteDriverSource: AnyObject, Sendable {
    /// A worker's driver for the next remote call (round robin); nil once shutting down.
    func nextDriverForRemoteCaller() -> CompletionDriver?
    /// Whether this runtime was created before a fork() and so has no threads here.
    var isForkedAway: Bool { get }
    /// Where the runtime's reports go (`URingRuntime.Configuration.logger`, the logger
    /// handed over with `useLogger`, or one made per report).
    var reports: ReportLogger { get }
    /// Whether `driver` is one of this runtime's workers' drivers.
    func owns(_ driver: CompletionDriver) -> Bool
}

/// The runtimes alive in this process, newest last.
enum RuntimeRegistry {
    private static let runtimes = ThreadLock<[any RemoteDriverSource]>([])

    /// Overrides "the newest" for the calls a task makes (tests run many runtimes at once).
    @TaskLocal static var preferred: (any RemoteDriverSource)?

    static func add(_ runtime: any RemoteDriverSource) { runtimes.withLock { $0.append(runtime) } }
    static func remove(_ runtime: any RemoteDriverSource) { runtimes.withLock { $0.removeAll { $0 === runtime } } }
    static func newest() -> (any RemoteDriverSource)? { runtimes.withLock { $0.last } }

    /// The reports of the runtime whose worker calls (else of the preferred or newest
    /// runtime); when no runtime runs, a logger made per report with swift-uring's label.
    static func reports() -> ReportLogger {
        if let driver = CurrentDriver.driver,
           let runtime = runtimes.withLock({ $0.first { $0.owns(driver) } }) {
            return runtime.reports
        }
        if !ForkDetection.isForkedChild, let runtime = preferred ?? newest() { return runtime.reports }
        return withoutRuntime
    }

    /// Where reports go when no runtime runs.
    private static let withoutRuntime = ReportLogger(nil, label: "swift-uring")

    /// The driver that serves a caller on a thread that owns no ring: a worker of the
    /// preferred or newest runtime. Every remote start goes through here.
    /// - Throws: `URingError.noRuntime` when no runtime is running; `.forkedChild` in a
    ///   fork() child when that runtime was created before the fork.
    static func remoteDriver() throws(URingError) -> CompletionDriver {
        if ForkDetection.isForkedChild { try refuseRuntimesInheritedThroughFork() }
        if let pinned = preferred {
            // A runtime the caller named that has begun shutting down refuses new work.
            guard let driver = pinned.nextDriverForRemoteCaller() else { throw .shutdown }
            return driver
        }
        guard let driver = newest()?.nextDriverForRemoteCaller() else { throw .noRuntime }
        return driver
    }

    /// In a fork() child: throws `URingError.forkedChild` unless the runtime a remote call
    /// would go to was created in this process. Without a runtime created since the fork it
    /// does not look at the runtime registry at all: its lock may have been held, at the
    /// fork, by a thread the child does not have.
    private static func refuseRuntimesInheritedThroughFork() throws(URingError) {
        guard ForkDetection.hasExecutorCreatedSinceFork,
              let runtime = preferred ?? newest(),
              !runtime.isForkedAway
        else { throw .forkedChild }
    }
}
