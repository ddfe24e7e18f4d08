// The table uring-bench prints per workload: one line per engine, with each engine's
// IOPS (the sum over rounds, and the per-round min/median/max), p50 latency, CPU%
// (100 = one core), IOPS per core (operations per CPU-second), io_uring_enter calls per
// operation where the engine counts them, and IOPS and p50 as ratios to fio (to the first
// engine when fio did not run). Then the first engine's IOPS ratio to every other engine:
// of the sums, and min/median/max of the ratios within each round (same-round pairs see
// the same machine load).

enum ResultTable {
    static func baseline(_ results: [RunResult]) -> RunResult? {
        results.first { $0.engine == "fio" } ?? results.first
    }

    /// Smallest, median and largest of `values` (the lower median for an even count).
    static func spread(_ values: [Double]) -> (min: Double, median: Double, max: Double) {
        let sorted = values.filter(\.isFinite).sorted()
        guard let first = sorted.first, let last = sorted.last else { return (.nan, .nan, .nan) }
        return (first, sorted[(sorted.count - 1) / 2], last)
    }

    static func render(_ results: [RunResult], rounds: [[RunResult]], workload: Workload) -> String {
        guard let baseline = baseline(results) else { return "no results" }
        let nameWidth = max(17, (results.map(\.engine.count).max() ?? 0) + 2)
        let ratioWidth = max(10, baseline.engine.count + 6)
        let widths = [nameWidth, 10, 26, 9, 9, 9, 10, 7, 11, 9, ratioWidth, ratioWidth]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padded($1) }.joined().trimmingWhitespace()
        }
        var lines = [
            "",
            "\(workload.label): \(workload.pattern.rawValue) bs=\(formatBytes(Int64(workload.blockSize))) iodepth=\(workload.ioDepth)"
                + " direct=\(workload.direct ? 1 : 0) workers=\(workload.workers) rounds=\(rounds.first?.count ?? 0)",
            row([
                "engine", "IOPS", "IOPS/round min/med/max", "MiB/s", "p50 us", "p99 us", "p99.9 us", "CPU%", "IOPS/core",
                "enters/op", "IOPS/\(baseline.engine)", "p50/\(baseline.engine)",
            ]),
        ]
        let base = baseline.percentiles
        for (result, perRound) in zip(results, rounds) {
            let latency = result.percentiles
            let enters: String = result.entersPerOperation.map { format($0, decimals: 3) } ?? "-"
            let (low, median, high) = spread(perRound.map(\.iops))
            lines.append(
                row([
                    result.engine, formatCount(result.iops),
                    "\(formatCount(low)) / \(formatCount(median)) / \(formatCount(high))",
                    format(result.mebibytesPerSecond, decimals: 1),
                    format(latency.p50, decimals: 1), format(latency.p99, decimals: 1),
                    format(latency.p999, decimals: 1), format(result.cpuPercent, decimals: 0),
                    formatCount(result.iopsPerCore), enters,
                    format(result.iops / baseline.iops, decimals: 2) + "x",
                    format(latency.p50 / base.p50, decimals: 2) + "x",
                ]))
        }
        if let subject = results.first, results.count > 1 {
            lines.append("ratios of \(subject.engine) (IOPS; IOPS/core), sums and per round min/med/max:")
            for (other, otherRounds) in zip(results, rounds).dropFirst() {
                let pairs = zip(rounds[0], otherRounds)
                let iops = spread(pairs.map { $0.iops / $1.iops })
                let perCore = spread(pairs.map { $0.iopsPerCore / $1.iopsPerCore })
                lines.append(
                    "  \(subject.engine)/\(other.engine)".padded(nameWidth + 22)
                        + "\(format(subject.iops / other.iops, decimals: 2)) (\(ratios(iops)))".padded(26)
                        + "per core \(format(subject.iopsPerCore / other.iopsPerCore, decimals: 2)) (\(ratios(perCore)))")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func ratios(_ spread: (min: Double, median: Double, max: Double)) -> String {
        "\(format(spread.min, decimals: 2)) / \(format(spread.median, decimals: 2)) / \(format(spread.max, decimals: 2))"
    }
}
