// Making URingExecutor the default executor of a whole program.
//
// Recipe (Swift 6.3; the API is still SPI, so it may change):
//   1. In the executable's main module:
//        @_spi(ExperimentalCustomExecutors) import URingExecutor
//        typealias DefaultExecutorFactory = URingExecutorFactory
//   2. Build that executable target with
//        swiftSettings: [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
// The runtime then asks the factory for its executors before `main` runs; every task
// without an executor preference (Task {}, Task.detached, the async main) runs on the
// `URingExecutorFactory.shared` workers, and `Task.sleep` uses its timers (the default
// executor must be a SchedulingExecutor, which URingExecutor is).
// The executor is a `static let` (lazily and thread-safely created on first use), never
// a top-level global: globals of the main module are not initialised yet when the
// runtime asks. It cannot be shut down. The main executor stays the platform's.

@_spi(ExperimentalCustomExecutors) import _Concurrency

/// An `ExecutorFactory` whose default executor is a process-wide `URingExecutor` with one
/// worker per CPU and the standalone `ConditionParker`.
@_spi(ExperimentalCustomExecutors)
public struct URingExecutorFactory: ExecutorFactory {
    /// The process-wide executor.
    public static let shared: URingExecutor = {
        do {
            return try URingExecutor(
                workers: URingExecutor.defaultWorkerCount, queueCapacity: 256, timers: TimerHeap(),
                isProcessDefault: true, makeParker: { _ in ConditionParker() })
        } catch {
            fatalError("URingExecutorFactory: cannot start the default executor: \(error)")
        }
    }()

    /// The platform's main executor: top-level code and the main actor stay on the main
    /// thread.
    public static var mainExecutor: any MainExecutor { PlatformExecutorFactory.mainExecutor }

    /// `shared`, created on first use (before `main` runs).
    public static var defaultExecutor: any TaskExecutor { shared }
}
