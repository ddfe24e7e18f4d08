// Making a URingRuntime the default executor of a whole program, so that every task
// (Task {}, Task.detached, async main, actors' default executor jobs aside) runs on
// ring-owning workers, I/O calls never take the remote path, and Task.sleep is a ring
// timeout whose wake-up needs no other thread pool.
//
// Recipe (Swift 6.3; the API is SPI and may change):
//   1. In the executable's main module:
//        @_spi(ExperimentalCustomExecutors) import URing
//        typealias DefaultExecutorFactory = URingRuntimeFactory
//   2. Build that target with
//        swiftSettings: [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
// The runtime is created on first use from a `static let` (never a top-level global:
// those are not initialised when the concurrency runtime asks). Its configuration comes
// from the environment: SWIFT_URING_WORKERS (default: CPU count), SWIFT_URING_RING_ENTRIES
// (default 256). If io_uring cannot be set up, the program stops at start with the
// typed error's message (which says why and what to do).

@_spi(ExperimentalCustomExecutors) import _Concurrency
import Glibc
import URingExecutor

/// An `ExecutorFactory` whose default executor is a process-wide `URingRuntime`.
@_spi(ExperimentalCustomExecutors)
public struct URingRuntimeFactory: ExecutorFactory {
    /// The process-wide runtime.
    public static let shared: URingRuntime = {
        var configuration = URingRuntime.Configuration()
        if let workers = environment("SWIFT_URING_WORKERS").flatMap(Int.init), workers >= 1 {
            configuration.workers = workers
        }
        if let entries = environment("SWIFT_URING_RING_ENTRIES").flatMap(UInt32.init) {
            configuration.ringEntries = entries
        }
        do {
            return try URingRuntime(configuration, isProcessDefault: true)
        } catch {
            fatalError("URingRuntimeFactory: cannot start the default runtime: \(error)")
        }
    }()

    public static var mainExecutor: any MainExecutor { PlatformExecutorFactory.mainExecutor }

    public static var defaultExecutor: any TaskExecutor { shared.executor }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
