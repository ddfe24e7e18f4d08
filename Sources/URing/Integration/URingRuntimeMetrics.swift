// URingRuntimeMetrics (trait Metrics): a runtime's statistics as swift-metrics, one time
// series per worker (dimension `worker`).
//
// Sampling, not instrumenting: the hot path keeps its own counters as it did (each
// driver's, read on its own thread through `statistics()`; each worker's, relaxed atomic
// loads through `metricsPerWorker`), and `sample()` reads both snapshots, sets the
// gauges and adds to each counter what its total grew by since the previous sample.
// `run()` samples every `interval` until cancelled (or, with the ServiceLifecycle trait,
// until graceful shutdown), then once more. No lock or atomic is added to any
// per-operation or per-job path; the one lock here is taken once per sample.

#if Metrics
import CoreMetrics
import URingExecutor
#if ServiceLifecycle
import ServiceLifecycle
#endif

/// Exports a runtime's statistics as swift-metrics gauges and counters with a `worker`
/// dimension (the worker's index), sampled every `interval` by `run()` or on demand by
/// `sample()`.
///
/// Gauges: `operations_in_flight`, `provided_buffers_in_use`. Counters:
/// `operations_submitted`, `operations_completed`, `ring_enters`, `cq_overflows`,
/// `completions_lost`, `jobs_run`, `steals`, `parks`, `stalls`. Each label starts with
/// `labelPrefix` (default `uring_`).
public final class URingRuntimeMetrics: Sendable {
    /// The runtime whose statistics are exported.
    public let runtime: URingRuntime
    /// How often `run()` samples.
    public let interval: Duration
    /// What every metric's label starts with.
    public let labelPrefix: String
    private let workers: [WorkerInstruments]
    /// Each worker's counter totals at the previous sample.
    private let previousTotals: ThreadLock<[[Int]]>

    /// Creates the metrics (through `factory`) for every worker of `runtime`.
    ///
    /// - Parameters:
    ///   - runtime: the runtime whose workers' statistics are exported.
    ///   - interval: how often `run()` samples (default 5 s).
    ///   - labelPrefix: what each metric's label starts with.
    ///   - factory: the metrics backend (default: the one `MetricsSystem.bootstrap` installed).
    public init(
        runtime: URingRuntime, interval: Duration = .seconds(5), labelPrefix: String = "uring_",
        factory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.runtime = runtime
        self.interval = interval
        self.labelPrefix = labelPrefix
        let count = runtime.executor.workerCount
        workers = (0..<count).map { WorkerInstruments(worker: $0, labelPrefix: labelPrefix, factory: factory) }
        previousTotals = ThreadLock(Array(repeating: Array(repeating: 0, count: CountedEvent.allCases.count), count: count))
    }

    /// Reads the runtime's statistics once and updates every metric. Does nothing once the
    /// runtime has shut down (it has no statistics then).
    public func sample() async {
        let drivers = await runtime.statistics()
        let executor = runtime.executor.metricsPerWorker
        previousTotals.withLock { previous in
            for driver in drivers where driver.worker < workers.count && driver.worker < executor.count {
                let instruments = workers[driver.worker]
                instruments.operationsInFlight.record(driver.operationsInFlight)
                instruments.providedBuffersInUse.record(driver.providedBuffersInUse)
                for (index, event) in CountedEvent.allCases.enumerated() {
                    let total = event.total(driver: driver, executor: executor[driver.worker])
                    let grown = total - previous[driver.worker][index]
                    if grown > 0 { instruments.counters[index].increment(by: grown) }
                    previous[driver.worker][index] = max(total, previous[driver.worker][index])
                }
            }
        }
    }

    /// Samples every `interval` until the calling task is cancelled (with the
    /// ServiceLifecycle trait: or the service group shuts down gracefully), then once
    /// more, and returns.
    public func run() async throws {
        #if ServiceLifecycle
        await cancelWhenGracefulShutdown { [self] in await sampleUntilCancelled() }
        #else
        await sampleUntilCancelled()
        #endif
        await sample()
    }

    @Sendable private func sampleUntilCancelled() async {
        while !Task.isCancelled {
            await sample()
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}

#if ServiceLifecycle
/// In a ServiceGroup, list it after the runtime: it stops first and takes its last sample
/// while the runtime still runs.
extension URingRuntimeMetrics: Service {}
#endif

/// The counters exported per worker: each a total that only grows.
private enum CountedEvent: CaseIterable {
    case operationsSubmitted, operationsCompleted, ringEnters, completionQueueOverflows, completionsLost
    case jobsRun, steals, parks, stalls

    var label: String {
        switch self {
        case .operationsSubmitted: "operations_submitted"
        case .operationsCompleted: "operations_completed"
        case .ringEnters: "ring_enters"
        case .completionQueueOverflows: "cq_overflows"
        case .completionsLost: "completions_lost"
        case .jobsRun: "jobs_run"
        case .steals: "steals"
        case .parks: "parks"
        case .stalls: "stalls"
        }
    }

    func total(driver: DriverStatistics, executor: ExecutorMetrics) -> Int {
        switch self {
        case .operationsSubmitted: driver.operationsStarted
        case .operationsCompleted: driver.operationsCompleted
        case .ringEnters: driver.ring.enterCalls
        case .completionQueueOverflows: driver.ring.completionQueueOverflows
        case .completionsLost: driver.lostCompletions
        case .jobsRun: Int(clamping: executor.jobsRun)
        case .steals: Int(clamping: executor.steals)
        case .parks: Int(clamping: executor.parks)
        case .stalls: Int(clamping: executor.stalls)
        }
    }
}

/// One worker's metrics, created once.
private struct WorkerInstruments: Sendable {
    let operationsInFlight: Gauge
    let providedBuffersInUse: Gauge
    /// In `CountedEvent.allCases` order.
    let counters: [Counter]

    init(worker: Int, labelPrefix: String, factory: any MetricsFactory) {
        let dimensions = [("worker", "\(worker)")]
        operationsInFlight = Gauge(label: labelPrefix + "operations_in_flight", dimensions: dimensions, factory: factory)
        providedBuffersInUse = Gauge(label: labelPrefix + "provided_buffers_in_use", dimensions: dimensions, factory: factory)
        counters = CountedEvent.allCases.map {
            Counter(label: labelPrefix + $0.label, dimensions: dimensions, factory: factory)
        }
    }
}
#endif
