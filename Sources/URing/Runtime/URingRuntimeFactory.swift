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
// (default 256), SWIFT_URING_RECEIVE_BUFFERS (COUNT or COUNTxSIZE, default 256x16384; 0
// turns multishot receives off), SWIFT_URING_DEFER_TASKRUN (1: rings set up with
// IORING_SETUP_DEFER_TASKRUN; 0, the default: COOP_TASKRUN), SWIFT_URING_SQPOLL_MILLISECONDS
// (rings with IORING_SETUP_SQPOLL and that idle time; unset, the default: none). A value that is not valid stops the program at start
// with a message naming the variable; so does a runtime that cannot start (the typed
// error's message says why and what to do).
// Logging: the runtime exists before `main` can call `LoggingSystem.bootstrap`, so it makes
// no logger then; its reports (the fallback warning) wait until `main` hands one over with
// `URingRuntimeFactory.shared.useLogger(_:)`, or one second (or the exit, if sooner), then
// go through the LoggingSystem of that moment.

@_spi(ExperimentalCustomExecutors) import _Concurrency
import Glibc
import URingExecutor

/// An `ExecutorFactory` whose default executor is a process-wide `URingRuntime`.
@_spi(ExperimentalCustomExecutors)
public struct URingRuntimeFactory: ExecutorFactory {
    /// The process-wide runtime.
    public static let shared: URingRuntime = {
        var configuration = URingRuntime.Configuration()
        if let value = environment("SWIFT_URING_WORKERS") {
            guard let workers = Int(value), workers >= 1 else { invalid("SWIFT_URING_WORKERS", value, "a positive integer") }
            configuration.workers = workers
        }
        if let value = environment("SWIFT_URING_RING_ENTRIES") {
            guard let entries = UInt32(value) else { invalid("SWIFT_URING_RING_ENTRIES", value, "an integer in 2...32768") }
            configuration.ringEntries = entries
        }
        if let value = environment("SWIFT_URING_RECEIVE_BUFFERS") {
            guard let parsed = countAndSize(value, sizeRequired: false) else {
                invalid("SWIFT_URING_RECEIVE_BUFFERS", value, "COUNT or COUNTxSIZE, e.g. 256x16384")
            }
            configuration.receiveBufferPool.count = parsed.count
            if let size = parsed.size { configuration.receiveBufferPool.bufferSize = size }
        }
        if let value = environment("SWIFT_URING_FIXED_BUFFERS") {
            guard let parsed = countAndSize(value, sizeRequired: true), let size = parsed.size else {
                invalid("SWIFT_URING_FIXED_BUFFERS", value, "COUNTxSIZE, e.g. 64x65536")
            }
            configuration.fixedBuffers = FixedBufferConfiguration(count: parsed.count, bufferSize: size)
        }
        if let value = environment("SWIFT_URING_REGISTERED_FILES") {
            guard let count = Int(value), RegisteredFiles.invalidReason(count) == nil else {
                invalid("SWIFT_URING_REGISTERED_FILES", value, "a slot count in 0...\(RegisteredFiles.maximumCapacity)")
            }
            configuration.registeredFiles = count
        }
        if let value = environment("SWIFT_URING_DEFER_TASKRUN") {
            guard value == "0" || value == "1" else { invalid("SWIFT_URING_DEFER_TASKRUN", value, "0 or 1") }
            configuration.deferTaskRun = value == "1"
        }
        if let value = environment("SWIFT_URING_SPIN_MICROSECONDS") {
            let range = URingRuntime.Configuration.spinBeforeParkingRange
            guard let microseconds = Int(value), range.contains(.microseconds(microseconds)) else {
                invalid("SWIFT_URING_SPIN_MICROSECONDS", value, "microseconds in 0...\(Int(range.upperBound / .microseconds(1)))")
            }
            configuration.spinBeforeParking = .microseconds(microseconds)
        }
        if let value = environment("SWIFT_URING_SQPOLL_MILLISECONDS") {
            let range = URingRuntime.Configuration.submissionPollIdleRange
            guard let milliseconds = Int(value), range.contains(.milliseconds(milliseconds)) else {
                invalid("SWIFT_URING_SQPOLL_MILLISECONDS", value, "milliseconds in 1...\(Int(range.upperBound / .milliseconds(1)))")
            }
            configuration.submissionPollIdle = .milliseconds(milliseconds)
        }
        if let value = environment(URingRuntime.Submission.environmentVariable) {
            guard let submission = URingRuntime.Submission(rawValue: value) else {
                invalid(URingRuntime.Submission.environmentVariable, value, "batched, direct or each")
            }
            configuration.submission = submission
        }
        do {
            return try URingRuntime(configuration, isProcessDefault: true)
        } catch {
            fatalError("URingRuntimeFactory: cannot start the default runtime: \(error)")
        }
    }()

    /// The platform's main executor: top-level code and the main actor stay on the main
    /// thread.
    public static var mainExecutor: any MainExecutor { PlatformExecutorFactory.mainExecutor }

    /// The executor of `shared`, created on first use (before `main` runs).
    public static var defaultExecutor: any TaskExecutor { shared.executor }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// "COUNT" (when the size is optional) or "COUNTxSIZE", both integers; nil otherwise.
    private static func countAndSize(_ value: String, sizeRequired: Bool) -> (count: Int, size: Int?)? {
        let parts = value.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (sizeRequired ? 2...2 : 1...2).contains(parts.count), let count = parts[0] else { return nil }
        guard parts.count == 2 else { return (count, nil) }
        guard let size = parts[1] else { return nil }
        return (count, size)
    }

    private static func invalid(_ name: String, _ value: String, _ expected: String) -> Never {
        fatalError("URingRuntimeFactory: \(name)=\(value) is not valid; expected \(expected)")
    }
}
