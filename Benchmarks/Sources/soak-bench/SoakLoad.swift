// The soak's load: tasks that loop until `counters.stop` is set, each doing one kind of
// work on the runtime it runs on.
// - File streams: random 4 KiB reads (70%) and writes (30%) on one shared scratch file.
// - Cancellers, each with a Unix socket pair and a pipe: receives and pipe reads cut
//   short by task cancellation (at once, or after the SQE went in), by a deadline, or
//   racing with a byte that arrives as the cancel goes in. A receive that gets data
//   instead (a won race, or a byte a lost race left behind) counts as `raced`.
// - Openers: open the scratch file, read 4 KiB, close; one open in eight runs under a
//   deadline of a few microseconds, so the runtime must close a descriptor that arrives
//   for a caller who gave up.
// Every descriptor the load makes is closed before `run` returns. Errors other than
// cancellation and deadlines are counted (and the first one kept), never thrown.

import Glibc
import Synchronization
import SystemPackage
import URing

final class SoakCounters: Sendable {
    let reads = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
    let opens = Atomic<Int>(0)
    /// Operations ended by task cancellation or a deadline.
    let cancelled = Atomic<Int>(0)
    /// Receives and pipe reads that returned data in a cancellation race.
    let raced = Atomic<Int>(0)
    let unexpected = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    let firstUnexpected = Mutex<String?>(nil)

    var total: Int {
        reads.load(ordering: .relaxed) + writes.load(ordering: .relaxed) + opens.load(ordering: .relaxed)
            + cancelled.load(ordering: .relaxed) + raced.load(ordering: .relaxed)
    }

    var isStopped: Bool { stop.load(ordering: .relaxed) }

    enum Kind { case read, write, open, cancelled, raced }

    func count(_ kind: Kind) {
        switch kind {
        case .read: reads.add(1, ordering: .relaxed)
        case .write: writes.add(1, ordering: .relaxed)
        case .open: opens.add(1, ordering: .relaxed)
        case .cancelled: cancelled.add(1, ordering: .relaxed)
        case .raced: raced.add(1, ordering: .relaxed)
        }
    }

    func unexpected(_ error: any Error, in place: String) {
        unexpected.add(1, ordering: .relaxed)
        firstUnexpected.withLock { first in
            if first == nil { first = "\(place): \(error)" }
        }
    }
}

struct SoakLoad: Sendable {
    static let blockSize = 4096

    var path: FilePath
    var fileSize: Int
    var fileStreams: Int
    var cancellers: Int
    var openers: Int
    let counters: SoakCounters

    func run() async throws {
        let file = try await File.open(path, .readWrite)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<fileStreams {
                group.addTask { await fileStream(file, seed: UInt64(index)) }
            }
            for index in 0..<cancellers {
                group.addTask { await canceller(seed: UInt64(1_000 + index)) }
            }
            for index in 0..<openers {
                group.addTask { await opener(seed: UInt64(2_000 + index)) }
            }
        }
        try await file.close()
    }

    private func fileStream(_ file: File, seed: UInt64) async {
        var random = SplitMix64(seed: seed)
        // Safety: owned by this loop and freed after it; every read and write into it has
        // returned (and with it its CQE arrived) before the next one starts.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: seed))
        let blocks = UInt64(fileSize / Self.blockSize)
        while !counters.isStopped {
            let offset = Int64(random.next() % blocks) * Int64(Self.blockSize)
            do {
                if random.next() % 10 < 7 {
                    _ = try await file.read(into: buffer, at: offset)
                    counters.count(.read)
                } else {
                    try await file.write(UnsafeRawBufferPointer(buffer), at: offset)
                    counters.count(.write)
                }
            } catch {
                counters.unexpected(error, in: "file stream")
            }
        }
    }

    private func canceller(seed: UInt64) async {
        var random = SplitMix64(seed: seed)
        var sockets: [Int32] = [-1, -1]
        var pipeEnds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0,
            pipe(&pipeEnds) == 0
        else {
            counters.unexpected(Errno(rawValue: errno), in: "socketpair/pipe")
            for fd in sockets + pipeEnds where fd >= 0 { close(fd) }
            return
        }
        let stream = TCPStream(taking: FileDescriptor(rawValue: sockets[0]))
        let peer = TCPStream(taking: FileDescriptor(rawValue: sockets[1]))
        let pipeReader = File(taking: FileDescriptor(rawValue: pipeEnds[0]))
        let pipeWriter = File(taking: FileDescriptor(rawValue: pipeEnds[1]))
        while !counters.isStopped {
            let delay = Duration.microseconds(Int64(random.next() % 500))
            switch random.next() % 5 {
            case 0:
                await cancel(after: random.next() % 2 == 0 ? nil : delay) { try await stream.receive(maxCount: 64) }
            case 1:
                await cancel(after: random.next() % 2 == 0 ? nil : delay) { try await pipeReader.read(count: 64, at: 0) }
            case 2:
                await withDeadline(delay) { try await stream.receive(maxCount: 64) }
            case 3:
                await withDeadline(delay) { try await pipeReader.read(count: 64, at: 0) }
            default:
                let overPipe = random.next() % 2 == 0
                await cancel(after: nil, racingWith: {
                    if overPipe { try await pipeWriter.write([1], at: 0) } else { try await peer.send([1]) }
                }) {
                    if overPipe { try await pipeReader.read(count: 64, at: 0) } else { try await stream.receive(maxCount: 64) }
                }
            }
        }
        for closable in [stream.close, peer.close, pipeReader.close, pipeWriter.close] {
            do { try await closable() } catch { counters.unexpected(error, in: "closing a canceller's descriptors") }
        }
    }

    /// Starts `operation` in a child task, optionally runs `racer` or sleeps on the ring,
    /// then cancels the child and counts how it ended.
    private func cancel(
        after delay: Duration?,
        racingWith racer: (@Sendable () async throws -> Void)? = nil,
        _ operation: @escaping @Sendable () async throws -> [UInt8]
    ) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await classify { try await operation() } }
            if let racer {
                do { try await racer() } catch { counters.unexpected(error, in: "racing write") }
            }
            if let delay {
                do { try await URingRuntime.sleep(for: delay) } catch { counters.unexpected(error, in: "ring sleep") }
            }
            group.cancelAll()
        }
    }

    private func withDeadline(_ timeout: Duration, _ operation: () async throws -> [UInt8]) async {
        await classify { try await URingRuntime.withTimeout(timeout) { try await operation() } }
    }

    private func classify(_ operation: () async throws -> [UInt8]) async {
        do {
            _ = try await operation()
            counters.count(.raced)
        } catch is CancellationError {
            counters.count(.cancelled)
        } catch URingError.deadlineExceeded {
            counters.count(.cancelled)
        } catch {
            counters.unexpected(error, in: "cancelled receive or read")
        }
    }

    private func opener(seed: UInt64) async {
        var random = SplitMix64(seed: seed)
        // Safety: owned by this loop and freed after it; each read has returned before the
        // next one starts.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        let blocks = UInt64(fileSize / Self.blockSize)
        while !counters.isStopped {
            if random.next() % 8 == 0 {
                do {
                    let file = try await URingRuntime.withTimeout(.microseconds(Int64(random.next() % 20))) {
                        try await File.open(path, .readOnly)
                    }
                    try await file.close()
                    counters.count(.open)
                } catch URingError.deadlineExceeded {
                    counters.count(.cancelled)
                } catch {
                    counters.unexpected(error, in: "open under a deadline")
                }
                continue
            }
            do {
                let file = try await File.open(path, .readOnly)
                let offset = Int64(random.next() % blocks) * Int64(Self.blockSize)
                do {
                    _ = try await file.read(into: buffer, at: offset)
                } catch {
                    counters.unexpected(error, in: "read after open")
                }
                try await file.close()
                counters.count(.open)
            } catch {
                counters.unexpected(error, in: "open/close")
            }
        }
    }
}

/// A small, fast, deterministic generator (SplitMix64), one per task.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
