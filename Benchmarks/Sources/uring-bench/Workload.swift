// What one benchmark run does: the access pattern, block size, depth and duration,
// and the file it runs on (created and filled if missing or too small).

import Glibc
import SystemPackage

enum AccessPattern: String, CaseIterable, Sendable {
    case randread, read

    var isRandom: Bool { self == .randread }
}

struct Workload: Sendable, CustomStringConvertible {
    var pattern: AccessPattern
    var blockSize: Int
    var ioDepth: Int
    var fileSize: Int64
    var runtime: Duration
    var path: FilePath

    var blocks: Int64 { fileSize / Int64(blockSize) }

    var description: String {
        "\(pattern.rawValue) bs=\(formatBytes(Int64(blockSize))) iodepth=\(ioDepth) "
            + "size=\(formatBytes(fileSize)) runtime=\(runtime) file=\(path)"
    }
}

/// Offsets for one stream of I/O: random block-aligned (SplitMix64) or sequential, wrapping.
struct OffsetGenerator {
    private var state: UInt64
    private var nextSequential: Int64 = 0
    private let workload: Workload

    init(workload: Workload, seed: UInt64) {
        self.workload = workload
        self.state = seed
    }

    mutating func next() -> Int64 {
        if workload.pattern.isRandom {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Int64(z % UInt64(workload.blocks)) * Int64(workload.blockSize)
        }
        let offset = nextSequential
        nextSequential += Int64(workload.blockSize)
        if nextSequential + Int64(workload.blockSize) > workload.fileSize { nextSequential = 0 }
        return offset
    }
}

enum BenchmarkFile {
    /// Makes `path` at least `size` bytes of non-zero data, then reads it once so the
    /// page cache holds it (cached-read runs measure the I/O path, not the disk).
    static func prepare(_ path: FilePath, size: Int64, log: (String) -> Void) throws {
        let fd = try FileDescriptor.open(
            path, .readWrite, options: [.create], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        defer { try? fd.close() }
        let existing = try fd.seek(offset: 0, from: .end)
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        if existing < size {
            log("creating \(formatBytes(size)) test file \(path)")
            var offset = existing - existing % Int64(chunk)
            while offset < size {
                for index in stride(from: 0, to: chunk, by: 8) {
                    buffer[index] = UInt8(truncatingIfNeeded: (offset + Int64(index)) >> 12) | 1
                }
                let count = Int(min(Int64(chunk), size - offset))
                _ = try buffer[..<count].withUnsafeBytes { try fd.writeAll(toAbsoluteOffset: offset, $0) }
                offset += Int64(count)
            }
        }
        log("warming the page cache")
        var offset: Int64 = 0
        while offset < size {
            let read = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: offset, into: $0) }
            if read == 0 { break }
            offset += Int64(read)
        }
    }
}

func formatBytes(_ bytes: Int64) -> String {
    let units: [(Int64, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (scale, name) in units where bytes >= scale && bytes % scale == 0 {
        return "\(bytes / scale) \(name)"
    }
    return "\(bytes) B"
}

/// Parses sizes like 4k, 128K, 1g, 512m, 4096.
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
