// One PASS/FAIL line per soak criterion, with the figures behind it.

import URing

struct Verdict {
    var passed: Bool
    var name: String
    var detail: String

    var line: String { "soak: \(passed ? "PASS" : "FAIL") \(name): \(detail)" }

    /// Every sample from the end of the warm-up on is within `tolerance` percent of the
    /// sample taken at the end of the warm-up (the baseline).
    static func rss(samples: [Int], warmup: Int, tolerance: Double) -> Verdict {
        let baselineIndex = max(warmup - 1, 0)
        let baseline = samples[baselineIndex]
        let watched = samples[baselineIndex...]
        let deviations = watched.map { Double($0 - baseline) / Double(baseline) * 100 }
        let worst = deviations.max { abs($0) < abs($1) } ?? 0
        let final = deviations.last ?? 0
        return Verdict(
            passed: baseline > 0 && abs(worst) <= tolerance, name: "rss",
            detail: "baseline \(mebibytes(baseline)) MiB at t=\(baselineIndex + 1)s; "
                + "\(mebibytes(watched.min() ?? 0))...\(mebibytes(watched.max() ?? 0)) MiB over \(watched.count) samples; "
                + "max deviation \(percent(worst)), final \(percent(final)) (limit \(percent(tolerance, signed: false)))")
    }

    static func slots(_ statistics: [DriverStatistics]) -> Verdict {
        let inFlight = statistics.map(\.operationsInFlight)
        let started = statistics.reduce(0) { $0 + $1.operationsStarted }
        let completed = statistics.reduce(0) { $0 + $1.operationsCompleted }
        let stale = statistics.reduce(0) { $0 + $1.staleCompletions }
        return Verdict(
            passed: !statistics.isEmpty && inFlight.allSatisfy { $0 == 0 }, name: "slots",
            detail: "operations in flight after the load \(inFlight) on \(statistics.count) drivers "
                + "(\(started) started, \(completed) completed, \(stale) stale CQEs dropped)")
    }

    static func buffers(_ statistics: [DriverStatistics]) -> Verdict {
        let inUse = statistics.map(\.providedBuffersInUse)
        let registered = statistics.filter(\.providedBuffersRegistered).count
        let exhaustions = statistics.reduce(0) { $0 + $1.receiveBufferExhaustions }
        return Verdict(
            passed: !statistics.isEmpty && inUse.allSatisfy { $0 == 0 }, name: "buffers",
            detail: "provided receive buffers in use after the load \(inUse) "
                + "(buffer ring registered on \(registered) of \(statistics.count) rings; \(exhaustions) pool exhaustions)")
    }

    static func descriptors(beforeLoad: Int, afterLoad: Int, beforeRuntime: Int, afterRelease: Int) -> Verdict {
        Verdict(
            passed: afterLoad == beforeLoad && afterRelease == beforeRuntime, name: "fds",
            detail: "\(afterLoad) open after the load, \(beforeLoad) before it (runtime running); "
                + "\(afterRelease) once the runtime was shut down and released, \(beforeRuntime) before it")
    }

    static func load(_ counters: SoakCounters, finished: Result<Void, any Error>, seconds: Int) -> Verdict {
        let reads = counters.reads.load(ordering: .relaxed)
        let writes = counters.writes.load(ordering: .relaxed)
        let opens = counters.opens.load(ordering: .relaxed)
        let cancelled = counters.cancelled.load(ordering: .relaxed)
        let raced = counters.raced.load(ordering: .relaxed)
        let unexpected = counters.unexpected.load(ordering: .relaxed)
        var problems: [String] = []
        if case .failure(let error) = finished { problems.append("the load failed: \(error)") }
        if let first = counters.firstUnexpected.withLock({ $0 }) { problems.append("first unexpected error: \(first)") }
        if min(reads, writes, opens, cancelled) == 0 { problems.append("a kind of work never completed") }
        return Verdict(
            passed: problems.isEmpty && unexpected == 0, name: "load",
            detail: "\(counters.total) operations in \(seconds) s (\(reads) reads, \(writes) writes, "
                + "\(opens) open/close, \(cancelled) cancelled or timed out, \(raced) won a cancel race), "
                + "\(unexpected) unexpected errors" + problems.map { "; \($0)" }.joined())
    }

    private static func percent(_ value: Double, signed: Bool = true) -> String {
        let hundredths = Int((abs(value) * 100).rounded())
        let sign = !signed ? "" : value < 0 ? "-" : "+"
        return "\(sign)\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)%"
    }
}
