// Helpers for the stall-detector tests: a LogHandler that keeps what the executor logs
// (passed in through the executor's Logger; the shared test process's LoggingSystem is
// never bootstrapped), a way to block a worker thread for a measured time, and a way to
// tell a report the machine caused from one the detector got wrong.
//
// The detector measures wall time, as it must (a worker blocked in a system call is
// stalled too), so on a loaded machine a worker descheduled between two jobs, or inside
// one, is reported although the job itself was short. The kernel counts, per thread,
// the time spent runnable but waiting for a CPU (/proc/thread-self/schedstat). Jobs
// note that figure when they start, and the log handler, which runs on the reporting
// worker's thread, reads it again: the difference covers the reported span, so a report
// is explained by the machine only if the worker waited about as long as it reports.

import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import URingExecutor

/// One record the executor logged.
struct LoggedRecord: Sendable {
    let level: Logger.Level
    let message: String
    let metadata: Logger.Metadata

    var worker: Int? { metadata["worker"].flatMap { Int("\($0)") } }
    var durationMilliseconds: Double? { metadata["duration_ms"].flatMap { Double("\($0)") } }
    var thresholdMilliseconds: Double? { metadata["threshold_ms"].flatMap { Double("\($0)") } }
    /// How long the reporting worker waited for a CPU since its last two noted job
    /// starts, in milliseconds; nil if the kernel does not say or no job was noted.
    let descheduledMilliseconds: Double?

    /// The part of the reported duration that the machine does not explain.
    var unexplainedMilliseconds: Double {
        (durationMilliseconds ?? 0) - (descheduledMilliseconds ?? 0)
    }
}

/// This thread's time spent runnable but waiting for a CPU, in nanoseconds
/// (the second field of /proc/thread-self/schedstat); nil where the kernel lacks it.
func runQueueDelayOfThisThread() -> UInt64? {
    let descriptor = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes = [UInt8](repeating: 0, count: 128)
    let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    guard count > 0 else { return nil }
    let fields = String(decoding: bytes[..<count], as: UTF8.self).split(separator: " ")
    return fields.count >= 2 ? UInt64(fields[1]) : nil
}

/// Per worker, the run-queue delay noted at its last two job starts. One per executor:
/// a new executor's workers are new threads whose counters start again from 0.
final class JobStarts: Sendable {
    private let noted = Locked<[Int: (previous: UInt64?, last: UInt64)]>([:])

    /// Called by a test job when it starts, on its worker.
    func note() {
        guard let worker = URingExecutor.currentWorkerIndex, let delay = runQueueDelayOfThisThread() else { return }
        noted.withLock { $0[worker] = (previous: $0[worker]?.last, last: delay) }
    }

    /// Milliseconds the calling worker waited for a CPU since its second-to-last noted
    /// job start (the span covers the previous job, the gap, and the current job). On a
    /// worker with no noted job yet (a report from its first jobs), since the thread
    /// started: the workers are this executor's own, so that still covers the span.
    func descheduledSinceNotedStarts() -> Double? {
        guard let worker = URingExecutor.currentWorkerIndex, let now = runQueueDelayOfThisThread() else { return nil }
        let entry = noted.withLock { $0[worker] }
        return Double(now - (entry?.previous ?? entry?.last ?? 0)) / 1_000_000
    }
}

/// The reports whose duration exceeds the worker's wait for a CPU by more than
/// `allowance` milliseconds, each with that wait: what the machine does not explain.
func unexplainedReports(_ records: [LoggedRecord], beyond allowance: Double) -> [String] {
    records.filter { $0.unexplainedMilliseconds > allowance }.map {
        "\($0.message) (descheduled \($0.descheduledMilliseconds.map { "\($0)" } ?? "unknown") ms)"
    }
}

/// Keeps every record in a shared list.
struct CapturingLogHandler: LogHandler {
    let records: Locked<[LoggedRecord]>
    let jobStarts: JobStarts?
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let record = LoggedRecord(
            level: event.level, message: "\(event.message)",
            metadata: metadata.merging(event.metadata ?? [:]) { $1 },
            descheduledMilliseconds: jobStarts?.descheduledSinceNotedStarts())
        records.withLock { $0.append(record) }
    }
}

/// A logger whose records the test can read.
final class CapturedLog: Sendable {
    private let storage = Locked<[LoggedRecord]>([])
    /// Job starts that reports are checked against, if the test notes them.
    let jobStarts: JobStarts?

    init(jobStarts: JobStarts? = nil) { self.jobStarts = jobStarts }

    var logger: Logger {
        let storage = self.storage
        let jobStarts = self.jobStarts
        return Logger(label: "test.stalls") { _ in CapturingLogHandler(records: storage, jobStarts: jobStarts) }
    }

    var records: [LoggedRecord] { storage.value }
}

/// Blocks the calling thread (asleep, not spinning) for at least `microseconds` and
/// returns how long it really took, in milliseconds, measured on the detector's clock.
/// A loaded machine may stretch it: tests read the measurement, not the request.
@discardableResult
func blockThread(microseconds: Int) -> Double {
    let start = StallClock.now()
    let end = start + UInt64(microseconds) * 1_000
    var now = start
    while now < end {
        usleep(UInt32((end - now) / 1_000) + 1)
        now = StallClock.now()
    }
    return Double(now - start) / 1_000_000
}

/// Whether this process runs under ThreadSanitizer (a TSan build exports its entry
/// point; RTLD_DEFAULT, a null handle, finds it).
let runningUnderThreadSanitizer: Bool = dlsym(nil, "__tsan_init") != nil
