// What one benchmark run does: the access pattern, block size, depth, duration, the
// file it runs on, and whether it bypasses the page cache; plus the offsets each
// stream of I/O visits. Values only: every engine reads the same Workload.

import Glibc
import Synchronization
import URing

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

    /// The open(2) flags an engine that opens the file itself uses. O_DIRECT is URing's
    /// own `.direct` (swift-system does not name it).
    var openMode: FileDescriptor.AccessMode { pattern.isWrite ? .writeOnly : .readOnly }
    var openOptions: FileDescriptor.OpenOptions { direct ? [.direct] : [] }

    /// A short label for file names and headings: randread-4k-qd32-direct.
    var label: String {
        "\(pattern.rawValue)-\(shortSize(blockSize))-qd\(ioDepth)\(direct ? "-direct" : "-cached")"
    }
}

/// 4k, 128k, 1m: a block size for labels.
func shortSize(_ bytes: Int) -> String {
    if bytes % (1 << 20) == 0 { return "\(bytes >> 20)m" }
    if bytes % 1024 == 0 { return "\(bytes >> 10)k" }
    return "\(bytes)"
}

/// One `--workload`: PATTERN:BS:qdN[:direct|cached][:engines=E1,E2,...]; the engines
/// default to --engines.
struct WorkloadSpec: Sendable {
    var pattern: AccessPattern
    var blockSize: Int
    var ioDepth: Int
    var direct: Bool
    /// Engine specs (`name` or `name+option+...`); nil: the --engines list.
    var engines: [String]?

    static let syntax = "PATTERN:BS:qdN[:direct][:engines=E1,E2,...], e.g. randread:4k:qd32:direct"

    init(pattern: AccessPattern, blockSize: Int, ioDepth: Int, direct: Bool, engines: [String]? = nil) {
        self.pattern = pattern
        self.blockSize = blockSize
        self.ioDepth = ioDepth
        self.direct = direct
        self.engines = engines
    }

    /// Parses one spec; the error says which part is wrong.
    init(parsing text: String) throws(SpecError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else { throw SpecError("workload '\(text)': expected \(Self.syntax)") }
        guard let pattern = AccessPattern(rawValue: parts[0]) else {
            throw SpecError(
                "workload '\(text)': pattern must be one of \(AccessPattern.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let block = parseSize(parts[1]), block >= 512, block <= 64 << 20, block % 512 == 0 else {
            throw SpecError("workload '\(text)': block size must be a multiple of 512 from 512 to 64m, not '\(parts[1])'")
        }
        guard parts[2].hasPrefix("qd"), let depth = Int(parts[2].dropFirst(2)), (1...1024).contains(depth) else {
            throw SpecError("workload '\(text)': depth must be qd1...qd1024, not '\(parts[2])'")
        }
        self.init(pattern: pattern, blockSize: Int(block), ioDepth: depth, direct: false)
        for part in parts.dropFirst(3) {
            if part == "direct" {
                direct = true
            } else if part == "cached" {
                direct = false
            } else if part.hasPrefix("engines=") {
                let names = part.dropFirst("engines=".count).split(separator: ",").map(String.init)
                guard !names.isEmpty else { throw SpecError("workload '\(text)': engines= names no engine") }
                engines = names
            } else {
                throw SpecError("workload '\(text)': unknown part '\(part)'; expected direct, cached or engines=...")
            }
        }
        if direct && block % 4096 != 0 {
            throw SpecError("workload '\(text)': O_DIRECT needs a block size that is a multiple of 4k")
        }
    }

    /// The workloads of issue #12, run by `--suite issue12`, each with the engines the
    /// issue compares on it.
    static let issue12: [String] = {
        let core = "engines=swift-uring,ring,raw,fio"
        return [
            "randread:4k:qd1:direct:\(core)", "randread:4k:qd32:direct:\(core)", "randread:4k:qd128:direct:\(core)",
            "read:128k:qd8:cached:\(core)", "read:128k:qd8:direct:\(core)",
            "randwrite:4k:qd32:cached:\(core)", "randwrite:4k:qd32:direct:\(core)",
            "randread:4k:qd32:cached:engines=swift-uring+workers=1,swift-uring+workers=2,ring,raw,pread-pool,fio",
        ]
    }()
}

struct SpecError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Why O_DIRECT cannot be used on `path` here, or nil when an aligned 4 KiB O_DIRECT read
/// of its first block works (tmpfs before Linux 6.6, for one, refuses O_DIRECT at open
/// with EINVAL; since 6.6 it accepts it).
func directIOUnsupportedReason(_ path: FilePath) -> String? {
    let fd = open(path.string, O_RDONLY | FileDescriptor.OpenOptions.direct.rawValue)
    guard fd >= 0 else {
        let error = errno
        if error == EINVAL {
            return "the file system holding \(path) does not support O_DIRECT (open: EINVAL; tmpfs before Linux 6.6 is one such)"
        }
        return "cannot open \(path) with O_DIRECT: \(Errno(rawValue: error))"
    }
    defer { close(fd) }
    // Safety: a 4 KiB aligned scratch block for one pread, freed by the defer below.
    var memory: UnsafeMutableRawPointer?
    guard posix_memalign(&memory, 4096, 4096) == 0, let memory else { return "cannot allocate an aligned buffer" }
    defer { free(memory) }
    if pread(fd, memory, 4096, 0) < 0 {
        return "an aligned 4 KiB O_DIRECT read of \(path) failed: \(Errno(rawValue: errno))"
    }
    return nil
}

/// The next block of a sequential workload, shared by all of one run's streams.
final class SequentialCursor: Sendable {
    private let block = Atomic<Int64>(0)

    /// Claims the next block (0, 1, 2, ...; the caller wraps it at the file's end).
    func claim() -> Int64 { block.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Offsets for one stream of a run's I/O. Random: block-aligned, SplitMix64 seeded per
/// stream. Sequential: each operation takes the next block from the cursor all of the
/// run's streams share, wrapping at the end, so operations are issued in file order as
/// fio's (and the ring and raw engines', one loop each) are. (Striping
/// the blocks over the streams instead, i, i+streams, ..., let them drift apart: with
/// O_DIRECT, 128 KiB QD8 read 0.85x fio.)
struct OffsetGenerator {
    private var state: UInt64
    private let cursor: SequentialCursor
    private let blocks: Int64
    private let blockSize: Int64
    private let isRandom: Bool

    /// `cursor`: the run's sequential cursor, one for all of its streams.
    init(workload: Workload, stream: Int, cursor: SequentialCursor) {
        state = 0xC0FFEE &+ UInt64(stream) &* 0x9E37_79B9
        blocks = max(1, workload.blocks)
        self.cursor = cursor
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
        return cursor.claim() % blocks * blockSize
    }
}
