// The SVG --svg writes for one workload: on the left IOPS bars per engine (labelled with
// the ratio to fio and CPU%), in the middle IOPS per core (operations per CPU-second, so
// an engine that uses more cores does not look better for it; with its figure), on the
// right each engine's latency p50, p99 and p99.9 on a log scale. Plain SVG 1.1 with inline attributes: it opens in any browser.

import Foundation

enum SVGChart {
    static func render(_ results: [RunResult], workload: Workload) -> String {
        let baseline = ResultTable.baseline(results)
        let rowHeight = 40.0
        let top = 90.0
        let width = 1320.0
        let height = top + rowHeight * Double(results.count) + 86
        let barLeft = 230.0
        let barWidth = 200.0
        let coreLeft = 590.0
        let coreWidth = 170.0
        let latencyLeft = 920.0
        let latencyWidth = 370.0
        let maxIOPS = results.map(\.iops).max() ?? 1
        let maxPerCore = results.map(\.iopsPerCore).filter(\.isFinite).max() ?? 1

        let latencies = results.flatMap { [$0.percentiles.p50, $0.percentiles.p99, $0.percentiles.p999] }
            .filter { $0.isFinite && $0 > 0 }
        let lowDecade = floor(log10(latencies.min() ?? 1))
        let highDecade = max(lowDecade + 1, ceil(log10(latencies.max() ?? 10)))
        func latencyX(_ microseconds: Double) -> Double {
            let clamped = min(max(microseconds, pow(10, lowDecade)), pow(10, highDecade))
            return latencyLeft + (log10(clamped) - lowDecade) / (highDecade - lowDecade) * latencyWidth
        }

        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
                + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            text(20, 28, "uring-bench \(workload.label): \(workload.pattern.rawValue) bs=\(formatBytes(Int64(workload.blockSize))) "
                + "iodepth=\(workload.ioDepth) \(workload.direct ? "O_DIRECT" : "cached") workers=\(workload.workers)",
                size: 17, weight: "bold"),
            text(barLeft, top - 22, "IOPS" + (baseline.map { " (ratio to \($0.engine)), CPU%" } ?? ""), weight: "bold"),
            text(coreLeft, top - 22, "IOPS per core (per CPU-second)", weight: "bold"),
            text(latencyLeft, top - 22, "latency per operation, microseconds (log scale)", weight: "bold"),
        ]
        for decade in stride(from: lowDecade, through: highDecade, by: 1) {
            let x = latencyX(pow(10, decade))
            svg.append(line(x, top - 8, x, top + rowHeight * Double(results.count), color: "#ddd"))
            svg.append(text(x, top + rowHeight * Double(results.count) + 16, formatMicroseconds(pow(10, decade)), anchor: "middle", color: "#666"))
        }
        for (index, result) in results.enumerated() {
            let y = top + rowHeight * Double(index)
            let color = palette[index % palette.count]
            svg.append(text(barLeft - 10, y + 20, result.engine, anchor: "end"))
            let length = max(1, result.iops / maxIOPS * barWidth)
            svg.append("<rect x=\"\(n(barLeft))\" y=\"\(n(y + 6))\" width=\"\(n(length))\" height=\"\(n(rowHeight - 14))\" fill=\"\(color)\"/>")
            var label = formatCount(result.iops)
            if let baseline { label += " (\(format(result.iops / baseline.iops, decimals: 2))x)" }
            label += " \(format(result.cpuPercent, decimals: 0))%"
            svg.append(text(barLeft + length + 6, y + 20, label))
            if result.iopsPerCore.isFinite {
                let coreLength = max(1, result.iopsPerCore / maxPerCore * coreWidth)
                svg.append(
                    "<rect x=\"\(n(coreLeft))\" y=\"\(n(y + 6))\" width=\"\(n(coreLength))\" height=\"\(n(rowHeight - 14))\" "
                        + "fill=\"\(color)\" fill-opacity=\"0.55\"/>")
                svg.append(text(coreLeft + coreLength + 6, y + 20, formatCount(result.iopsPerCore)))
            }

            let p = result.percentiles
            let middle = y + rowHeight / 2 - 1
            guard p.p50.isFinite, p.p999.isFinite else { continue }
            svg.append(line(latencyX(p.p50), middle, latencyX(p.p999), middle, color: color, width: 3))
            svg.append("<circle cx=\"\(n(latencyX(p.p50)))\" cy=\"\(n(middle))\" r=\"6\" fill=\"\(color)\"/>")
            svg.append("<rect x=\"\(n(latencyX(p.p99) - 5))\" y=\"\(n(middle - 5))\" width=\"10\" height=\"10\" fill=\"white\" stroke=\"\(color)\" stroke-width=\"2\"/>")
            svg.append(diamond(latencyX(p.p999), middle, color: color))
        }
        let legendY = top + rowHeight * Double(results.count) + 44
        svg.append("<circle cx=\"\(n(latencyLeft + 6))\" cy=\"\(n(legendY - 4))\" r=\"6\" fill=\"#555\"/>")
        svg.append(text(latencyLeft + 18, legendY, "p50"))
        svg.append("<rect x=\"\(n(latencyLeft + 61))\" y=\"\(n(legendY - 9))\" width=\"10\" height=\"10\" fill=\"white\" stroke=\"#555\" stroke-width=\"2\"/>")
        svg.append(text(latencyLeft + 78, legendY, "p99"))
        svg.append(diamond(latencyLeft + 126, legendY - 4, color: "#555"))
        svg.append(text(latencyLeft + 138, legendY, "p99.9"))
        svg.append(text(20, legendY, "fio latency: its lat percentiles; raw: none; ring, pread-pool: every operation; swift-uring, nio: 1 operation in 16", color: "#666", size: 11))
        svg.append(text(20, legendY + 16, "CPU: user + system, 100% = one core; /core: IOPS per CPU-second", color: "#666", size: 11))
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    static func write(_ results: [RunResult], workload: Workload, to path: String) throws {
        try Data(render(results, workload: workload).utf8).write(to: URL(fileURLWithPath: path))
    }

    private static let palette = ["#d9480f", "#f08c00", "#1971c2", "#2f9e44", "#7048e8", "#495057", "#c2255c"]

    private static func n(_ value: Double) -> String { format(value, decimals: 1) }

    private static func formatMicroseconds(_ value: Double) -> String {
        value >= 1000 ? format(value / 1000, decimals: 0) + " ms" : format(value, decimals: value < 1 ? 1 : 0)
    }

    private static func text(
        _ x: Double, _ y: Double, _ content: String, anchor: String = "start", color: String = "#222",
        size: Int = 13, weight: String = "normal"
    ) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" fill=\"\(color)\" font-size=\"\(size)\" "
            + "font-weight=\"\(weight)\">\(escape(content))</text>"
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String, width: Double = 1) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(color)\" stroke-width=\"\(n(width))\"/>"
    }

    private static func diamond(_ x: Double, _ y: Double, color: String) -> String {
        "<polygon points=\"\(n(x)),\(n(y - 7)) \(n(x + 7)),\(n(y)) \(n(x)),\(n(y + 7)) \(n(x - 7)),\(n(y))\" fill=\"\(color)\"/>"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
