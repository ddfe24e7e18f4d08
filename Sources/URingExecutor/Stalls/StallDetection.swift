// Stall reports: a job that keeps a worker busy for longer than the threshold is
// reported once, after it returns, with swift-log.
//
// Cost: one coarse clock read per job. A job's time runs from the end of the previous
// job (or of the last poll or park, so idle and I/O time never count) to its own end.
// Reading CLOCK_MONOTONIC per job measured 23 ns in a loop and about 50 ns per job in
// place (its vDSO path fences the TSC read), +14% on executor-bench's yield_many.
// CLOCK_MONOTONIC_COARSE costs about 5 ns (no TSC read) but moves only once per
// kernel tick (4 ms at HZ=250). So `StallTimer` reads the coarse clock per job; while it
// has not moved since the last precise read, the job took less than a tick, which is
// under the threshold (the shortcut is used only for thresholds of two ticks or more;
// shorter thresholds read the precise clock per job). When it has moved, one precise
// read ends the job (and exactly starts the next). A job that began mid-tick after other
// short jobs has only a lower bound for its start (the last precise read, or the coarse
// reading), so its duration may be overstated by less than one tick, never understated.
//
// Preemption is not a stall: a worker the OS descheduled (a busy 2-core machine) did not
// block anything by itself. The thread's run delay (the second field of
// /proc/thread-self/schedstat: nanoseconds spent runnable but waiting for a CPU) is read
// at each precise clock read (at most once per tick, while jobs run and after polls and
// parks); a job over the threshold by wall time is charged only its wall time minus the
// run delay that accumulated since its start's precise read, so time spent descheduled in
// the tick before it started may be subtracted too (an understatement below one tick).
// A job blocked in a syscall (a blocking pread, sleep) is not runnable and is still
// reported. Where the file cannot be read, wall time is used as before.
//
// A watchdog thread could avoid even that read, but wakes up every few milliseconds
// forever and knows durations only to its sampling period. What it would catch and
// this does not: a job that never returns (the report comes when the job returns).

import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum StallClock {
    /// CLOCK_MONOTONIC in nanoseconds: it keeps counting while the thread is blocked or
    /// descheduled, which is what a blocked worker costs everyone else.
    @inline(__always)
    static func now() -> UInt64 { read(CLOCK_MONOTONIC) }

    /// CLOCK_MONOTONIC_COARSE in nanoseconds: the same time base, as of the last tick.
    @inline(__always)
    static func coarseNow() -> UInt64 { read(CLOCK_MONOTONIC_COARSE) }

    /// How often the coarse clock moves (the kernel tick), in nanoseconds.
    static let coarseResolution: UInt64 = {
        var resolution = timespec()
        guard clock_getres(CLOCK_MONOTONIC_COARSE, &resolution) == 0 else { return UInt64.max }
        return nanoseconds(resolution)
    }()

    @inline(__always)
    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return nanoseconds(time)
    }

    @inline(__always)
    private static func nanoseconds(_ time: timespec) -> UInt64 {
        UInt64(truncatingIfNeeded: time.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: time.tv_nsec)
    }

    /// `threshold` in nanoseconds (at least 1, saturating at Int64.max), 0 for nil (disabled).
    /// - Throws: `URingExecutorError.invalidStallThreshold` if it is zero or negative.
    static func nanoseconds(_ threshold: Duration?) throws(URingExecutorError) -> UInt64 {
        guard let threshold else { return 0 }
        guard threshold > .zero else { throw .invalidStallThreshold(threshold) }
        return max(threshold.saturatingNonNegativeNanoseconds, 1)
    }

    /// "12.345" for 12_345_678 ns: milliseconds with three decimals, without Foundation.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1_000
        let fraction = String(micros % 1_000)
        return "\(micros / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// The calling thread's run delay (runnable but not running), from schedstat.
struct RunDelayReader {
    /// /proc/thread-self/schedstat of the worker thread, opened on first use there; -1
    /// when it cannot be read (then every reading is 0 and wall time is used).
    private var descriptor: Int32 = -2

    /// Nanoseconds this thread has waited for a CPU so far (0 if unknown).
    mutating func read() -> UInt64 {
        if descriptor == -2 { descriptor = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return 0 }
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        // Safety: a 64-byte tuple on the stack, read into and parsed within this call.
        return withUnsafeMutableBytes(of: &bytes) { buffer -> UInt64 in
            let count = pread(descriptor, buffer.baseAddress, buffer.count, 0)
            guard count > 0 else { return 0 }
            return Self.secondField(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// The second space-separated decimal field of "runtime run_delay timeslices\n".
    static func secondField(_ text: UnsafeRawBufferPointer) -> UInt64 {
        var field = 0
        var value: UInt64 = 0
        for byte in text {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                if field == 1 { return value }
                field += 1
                value = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
            }
        }
        return field == 1 ? value : 0
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
    }
}

/// One worker's job timing (owner thread only; see the file header).
struct StallTimer {
    /// Nanoseconds; 0 when stall detection is off.
    let threshold: UInt64
    /// Whether jobs shorter than a tick may be recognised on the coarse clock alone.
    private let usesCoarseClock: Bool
    /// A lower bound of the current job's start; exact right after a mark or a precise read.
    private var startLowerBound: UInt64 = 0
    /// The coarse clock at the last precise read (at or before the current job's start).
    private var coarseAtLastRead: UInt64 = 0
    /// The thread's run delay at the last precise read.
    private var runDelayAtLastRead: UInt64 = 0
    private var runDelay = RunDelayReader()

    init(threshold: UInt64) {
        self.threshold = threshold
        let tick = StallClock.coarseResolution
        usesCoarseClock = tick <= UInt64.max / 2 && threshold >= 2 * tick
    }

    /// A poll or park ended (or the loop starts): the next job starts now.
    ///
    /// With the coarse clock, a poll that began and ended within one tick changes
    /// nothing: the last precise read is still a lower bound for the next job's start,
    /// less than a tick early, as for a job that follows short jobs. So a worker that
    /// polls its ring every few operations reads the precise clock and schedstat (a
    /// pread of /proc, about a microsecond in the kernel) at most once per tick, not
    /// once per poll.
    @inline(__always)
    mutating func mark() {
        guard threshold != 0 else { return }
        if usesCoarseClock {
            let coarse = StallClock.coarseNow()
            if coarse == coarseAtLastRead { return }
            coarseAtLastRead = coarse
        }
        startLowerBound = StallClock.now()
        runDelayAtLastRead = runDelay.read()
    }

    /// A job returned: its duration if it exceeded the threshold, else nil.
    @inline(__always)
    mutating func jobEnded() -> UInt64? {
        var start = startLowerBound
        if usesCoarseClock {
            let coarse = StallClock.coarseNow()
            // No tick since the last precise read, which was at or before the job's start:
            // the job took less than a tick.
            if coarse == coarseAtLastRead { return nil }
            start = max(start, coarseAtLastRead)
            coarseAtLastRead = coarse
        }
        let now = StallClock.now()
        startLowerBound = now
        let elapsed = now &- start
        // The precise path runs at most once per tick with the coarse clock; with a
        // threshold under two ticks it runs per job, so read the run delay only when it
        // matters (the baseline is then the last mark or stall).
        guard usesCoarseClock || elapsed > threshold else { return nil }
        let delay = runDelay.read()
        let preempted = delay &- min(runDelayAtLastRead, delay)
        runDelayAtLastRead = delay
        let own = elapsed &- min(preempted, elapsed)
        return own > threshold ? own : nil
    }

    /// The worker is exiting: release the schedstat descriptor.
    func close() { runDelay.close() }
}

extension URingExecutor {
    /// Reports one stalled job (cold path; called by the worker that ran it).
    func reportStall(worker: Int, nanoseconds: UInt64) {
        let duration = StallClock.milliseconds(nanoseconds)
        let threshold = StallClock.milliseconds(stallThresholdNanoseconds)
        reports.log(
            .warning,
            "a job blocked worker \(worker) for \(duration) ms (stall threshold \(threshold) ms); move blocking or long CPU work off the executor",
            metadata: [
                "worker": "\(worker)",
                "duration_ms": "\(duration)",
                "threshold_ms": "\(threshold)",
            ])
    }
}
