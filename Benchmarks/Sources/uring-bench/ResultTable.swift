// The table uring-bench prints per workload: one line per engine, with each engine's
// IOPS and p50 latency as a ratio to fio's (or to the first engine's when fio did not run),
// its CPU% (100 = one core) and IOPS per core (operations per CPU-second), and
// io_uring_enter calls per operation where the engine counts them.

enum ResultTable {
    static func baseline(_ results: [RunResult]) -> RunResult? {
        results.first { $0.engine == "fio" } ?? results.first
    }

    static func render(_ results: [RunResult], workload: Workload) -> String {
        guard let baseline = baseline(results) else { return "no results" }
        let ratioWidth = max(10, baseline.engine.count + 6)
        let widths = [17, 10, 9, 9, 9, 10, 7, 11, 9, ratioWidth, ratioWidth]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padded($1) }.joined().trimmingWhitespace()
        }
        var lines = [
            "",
            "\(workload.pattern.rawValue) bs=\(formatBytes(Int64(workload.blockSize))) iodepth=\(workload.ioDepth)"
                + " direct=\(workload.direct ? 1 : 0) workers=\(workload.workers)",
            row([
                "engine", "IOPS", "MiB/s", "p50 us", "p99 us", "p99.9 us", "CPU%", "IOPS/core", "enters/op",
                "IOPS/\(baseline.engine)", "p50/\(baseline.engine)",
            ]),
        ]
        let base = baseline.percentiles
        for result in results {
            let latency = result.percentiles
            let enters: String = result.entersPerOperation.map { format($0, decimals: 3) } ?? "-"
            lines.append(
                row([
                    result.engine, formatCount(result.iops), format(result.mebibytesPerSecond, decimals: 1),
                    format(latency.p50, decimals: 1), format(latency.p99, decimals: 1),
                    format(latency.p999, decimals: 1), format(result.cpuPercent, decimals: 0),
                    formatCount(result.iopsPerCore), enters,
                    format(result.iops / baseline.iops, decimals: 2) + "x",
                    format(latency.p50 / base.p50, decimals: 2) + "x",
                ]))
        }
        return lines.joined(separator: "\n")
    }
}
