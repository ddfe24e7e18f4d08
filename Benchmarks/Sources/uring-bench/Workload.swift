// What one benchmark run does: the access pattern, block size, depth, duration, the
// file it runs on, and whether it bypasses the page cache; plus the offsets each
// stream of I/O visits. Values only: every engine reads the same Workload.

import SystemPackage

enum AccessPattern: String, CaseIterable, Sendable {
    case randread, read, randwrite, write

    var isRandom: Bool { self == .randread || self == .randwrite }
    var isWrite: Bool { self == .randwrite || self == .write }
}

struct Workload: Sendable, CustomStringConvertible {
    var pattern: AccessPattern
    var blockSize: Int
    var ioDepth: Int
    var fileSize: Int64
    /// Time per engine per round.
    var runtime: Duration
    var path: FilePath
    /// O_DIRECT: buffers, offsets and lengths are 4 KiB aligned.
    var direct: Bool
    /// Worker threads (and rings) of the swift-uring engines.
    var workers: Int

    var blocks: Int64 { fileSize / Int64(blockSize) }

    var description: String {
        "\(pattern.rawValue) bs=\(formatBytes(Int64(blockSize))) iodepth=\(ioDepth) "
            + "size=\(formatBytes(fileSize)) direct=\(direct ? 1 : 0) workers=\(workers) file=\(path)"
    }

    /// The open(2) flags an engine that opens the file itself uses.
    var openMode: FileDescriptor.AccessMode { pattern.isWrite ? .writeOnly : .readOnly }
    var openOptions: FileDescriptor.OpenOptions { direct ? [.directIO] : [] }
}

extension FileDescriptor.OpenOptions {
    /// O_DIRECT, which swift-system does not name (its value differs per architecture).
    #if arch(arm64) || arch(arm)
    static let directIO = FileDescriptor.OpenOptions(rawValue: 0o200000)
    #else
    static let directIO = FileDescriptor.OpenOptions(rawValue: 0o40000)
    #endif
}

/// Offsets for one of `streams` concurrent streams of I/O. Random: block-aligned,
/// SplitMix64 seeded per stream. Sequential: stream i visits blocks i, i+streams,
/// i+2*streams, ... so that the streams together sweep the file in order, wrapping.
struct OffsetGenerator {
    private var state: UInt64
    private var nextBlock: Int64
    private let stride: Int64
    private let blocks: Int64
    private let blockSize: Int64
    private let isRandom: Bool

    init(workload: Workload, stream: Int, streams: Int) {
        state = 0xC0FFEE &+ UInt64(stream) &* 0x9E37_79B9
        blocks = max(1, workload.blocks)
        nextBlock = Int64(stream) % blocks
        stride = Int64(streams)
        blockSize = Int64(workload.blockSize)
        isRandom = workload.pattern.isRandom
    }

    mutating func next() -> Int64 {
        if isRandom {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Int64(z % UInt64(blocks)) * blockSize
        }
        let block = nextBlock
        nextBlock = (nextBlock + stride) % blocks
        return block * blockSize
    }
}
