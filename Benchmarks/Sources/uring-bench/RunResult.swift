// What an engine measured in one run.

import Glibc

struct RunResult: Sendable {
    var engine: String
    var operations: Int
    var bytes: Int64
    var elapsed: Duration
    /// User + system CPU time of the threads that did the I/O.
    var cpu: Duration

    var seconds: Double { Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 }
    var iops: Double { Double(operations) / seconds }
    var mebibytesPerSecond: Double { Double(bytes) / seconds / 1_048_576 }
    var cpuPercent: Double {
        (Double(cpu.components.seconds) + Double(cpu.components.attoseconds) * 1e-18) / seconds * 100
    }

    static func combine(_ runs: [RunResult]) -> RunResult? {
        guard let first = runs.first else { return nil }
        return runs.dropFirst().reduce(first) { total, run in
            RunResult(
                engine: total.engine, operations: total.operations + run.operations, bytes: total.bytes + run.bytes,
                elapsed: total.elapsed + run.elapsed, cpu: total.cpu + run.cpu)
        }
    }
}

/// CPU time (user + system) consumed so far by the calling thread.
func threadCPUTime() -> Duration {
    var usage = rusage()
    // RUSAGE_THREAD (1): Glibc hides the constant behind _GNU_SOURCE.
    getrusage(__rusage_who_t(1), &usage)
    let micros = Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    return .microseconds(micros)
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
