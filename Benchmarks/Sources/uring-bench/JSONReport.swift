// The JSON file --json writes: every figure of every engine on every workload, in the
// issue's shape {"runs":[{"engine","rw","bs","iodepth","workers","direct","iops","mib_s",
// "lat_us":{"p50","p99","p999"},"cpu_pct","iops_per_core","enters_per_op","iops_rounds"}]}.
// bs is in bytes, latencies in microseconds, cpu_pct 100 = one core, iops_per_core
// operations per CPU-second, enters_per_op absent where the engine does not count
// io_uring_enter calls, iops_rounds each round's IOPS in order.

import Foundation

struct JSONReport: Encodable {
    struct Run: Encodable {
        var engine: String
        var rw: String
        var bs: Int
        var iodepth: Int
        var workers: Int
        var direct: Bool
        var iops: Double
        var mib_s: Double
        var lat_us: LatencyPercentiles
        var cpu_pct: Double
        var iops_per_core: Double
        var enters_per_op: Double?
        var iops_rounds: [Double]
    }

    var runs: [Run] = []

    mutating func add(_ results: [RunResult], rounds: [[RunResult]], workload: Workload) {
        for (result, perRound) in zip(results, rounds) {
            runs.append(
                Run(
                    engine: result.engine, rw: workload.pattern.rawValue, bs: workload.blockSize,
                    iodepth: workload.ioDepth, workers: workload.workers, direct: workload.direct,
                    iops: (result.iops * 10).rounded() / 10, mib_s: (result.mebibytesPerSecond * 100).rounded() / 100,
                    lat_us: result.percentiles, cpu_pct: (result.cpuPercent * 10).rounded() / 10,
                    iops_per_core: result.iopsPerCore.rounded(),
                    enters_per_op: result.entersPerOperation.map { ($0 * 10000).rounded() / 10000 },
                    iops_rounds: perRound.map { $0.iops.rounded() }))
        }
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
