// What an engine measured in one run, and the sum of an engine's runs over the rounds.

import Glibc

struct RunResult: Sendable {
    var engine: String
    var operations: Int
    var bytes: Int64
    var elapsed: Duration
    /// User + system CPU time the run consumed (the whole process, or fio's figures).
    var cpu: Duration
    /// Per-operation latency: a histogram (our engines) or percentiles reported by the
    /// engine itself (fio).
    var latency: Latency
    /// io_uring_enter calls made during the run, where the engine can tell: the
    /// swift-uring engine from its drivers' `ring.enterCalls` (calls into liburing's
    /// submit/wait, which may skip the syscall), raw from its own count; nil elsewhere.
    var enterCalls: Int? = nil

    enum Latency: Sendable {
        case recorded(LatencyRecorder)
        case reported(LatencyPercentiles)
    }

    var seconds: Double { elapsed.seconds }
    var iops: Double { Double(operations) / seconds }
    var mebibytesPerSecond: Double { Double(bytes) / seconds / 1_048_576 }
    var cpuPercent: Double { cpu.seconds / seconds * 100 }
    /// Operations per second of CPU time (user + system): IOPS per fully used core, so an
    /// engine that spreads over more cores does not look better for it.
    var iopsPerCore: Double { cpu.seconds > 0 ? Double(operations) / cpu.seconds : .nan }
    var entersPerOperation: Double? { enterCalls.map { Double($0) / Double(max(1, operations)) } }

    var percentiles: LatencyPercentiles {
        switch latency {
        case .recorded(let recorder): recorder.percentiles
        case .reported(let percentiles): percentiles
        }
    }

    /// The rounds of one engine as one result. Histograms are merged exactly; reported
    /// percentiles (fio) are averaged weighted by operations, an approximation.
    static func combine(_ runs: [RunResult]) -> RunResult? {
        guard var total = runs.first else { return nil }
        for run in runs.dropFirst() {
            let weight = Double(total.operations) / Double(max(1, total.operations + run.operations))
            total.operations += run.operations
            total.bytes += run.bytes
            total.elapsed += run.elapsed
            total.cpu += run.cpu
            if let calls = run.enterCalls { total.enterCalls = (total.enterCalls ?? 0) + calls }
            switch (total.latency, run.latency) {
            case (.recorded(var merged), .recorded(let more)):
                merged.add(more)
                total.latency = .recorded(merged)
            default:
                let a = total.percentiles
                let b = run.percentiles
                func mix(_ x: Double, _ y: Double) -> Double { x * weight + y * (1 - weight) }
                total.latency = .reported(
                    LatencyPercentiles(p50: mix(a.p50, b.p50), p99: mix(a.p99, b.p99), p999: mix(a.p999, b.p999)))
            }
        }
        return total
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// CPU time (user + system) consumed so far by the whole process.
func processCPUTime() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let micros = Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    return .microseconds(micros)
}

struct EngineFailure: Error, CustomStringConvertible {
    var description: String
}

/// An engine that cannot run this workload here (fio missing, O_DIRECT unsupported...).
struct EngineSkipped: Error, CustomStringConvertible {
    var description: String
}
