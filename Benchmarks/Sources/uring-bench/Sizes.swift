// Parsing and printing sizes and numbers the way fio does (4k, 128K, 1g; 612K IOPS).

import Glibc

/// Parses sizes like 4k, 128K, 1g, 512m, 4096, 1MiB.
func parseSize(_ text: String) -> Int64? {
    let lower = text.lowercased()
    let scales: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
    var digits = Substring(lower)
    var scale: Int64 = 1
    if lower.hasSuffix("ib") { digits = digits.dropLast(2) } else if lower.hasSuffix("b") { digits = digits.dropLast() }
    if let last = digits.last, let unit = scales[last] {
        scale = unit
        digits = digits.dropLast()
    }
    guard let value = Int64(digits), value > 0 else { return nil }
    let (product, overflow) = value.multipliedReportingOverflow(by: scale)
    return overflow ? nil : product
}

func formatBytes(_ bytes: Int64) -> String {
    let units: [(Int64, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (scale, name) in units where bytes >= scale && bytes % scale == 0 {
        return "\(bytes / scale) \(name)"
    }
    return "\(bytes) B"
}

/// `value` with a fixed number of decimals.
func format(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "-" }
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.\(decimals)f", $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// 612.3K, 1.05M: a count the way fio prints IOPS.
func formatCount(_ value: Double) -> String {
    if value >= 1e6 { return format(value / 1e6, decimals: 2) + "M" }
    if value >= 1e3 { return format(value / 1e3, decimals: 1) + "K" }
    return format(value, decimals: 0)
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    func padded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
