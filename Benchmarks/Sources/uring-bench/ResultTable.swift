// The table uring-bench prints: one line per engine, ratios against the first engine.

import Glibc

enum ResultTable {
    static func render(_ results: [RunResult], workload: Workload) -> String {
        guard let baseline = results.first else { return "no results" }
        var lines = [
            "",
            "\(workload.pattern.rawValue) bs=\(formatBytes(Int64(workload.blockSize))) iodepth=\(workload.ioDepth)",
            pad("engine", 10) + pad("IOPS", 12) + pad("MiB/s", 10) + pad("CPU%", 8) + "vs \(baseline.engine)",
        ]
        for result in results {
            lines.append(
                pad(result.engine, 10) + pad(format(result.iops, decimals: 0), 12)
                    + pad(format(result.mebibytesPerSecond, decimals: 1), 10)
                    + pad(format(result.cpuPercent, decimals: 0), 8)
                    + format(result.iops / baseline.iops, decimals: 2) + "x")
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func format(_ value: Double, decimals: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.\(decimals)f", $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
