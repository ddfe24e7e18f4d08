// Issue 7, exactly-once completion: reads cancelled after a random 0–100 µs delay, racing
// their I/O. Three kinds, chosen at random per read:
//   - a 16 KiB read of a cached file (usually done at submission; checks the bytes);
//   - an 8-byte read of a pipe, and of a Unix stream socket, to which a feeder thread
//     writes one 8-byte tag for half of the reads, at a random 0–100 µs delay: the data
//     and the cancellation race, and reads with no data wait in the kernel until cancelled.
// A feeder thread (not a worker) spins on CLOCK_MONOTONIC and fires the cancels and
// writes at their times. Every read must return exactly once, with its full result or
// CancellationError; each tag must be read exactly once, in order (a cancelled read that
// swallowed data, or a phantom read still armed, leaves a gap); each buffer is refilled
// with a sentinel when its call returns and checked when next used and at the end, after
// one more tag went to every pipe and socket: the kernel wrote nothing after a return.

import Foundation
import Glibc
import Synchronization
import Testing
import URing
import URingExecutor

@Suite("Hardening: cancelled reads resume exactly once", .requiresIOURing)
struct HardeningCancelledReadsResumeExactlyOnce {
    @Test("1,000,000 reads each cancelled after a random 0–100 µs delay: one return each, full result or CancellationError, no write after return")
    func cancelledReadsResumeExactlyOnce() async throws {
        let total = StressScale.count(1_000_000, "exactly-once cancelled reads")
        let seed = HardeningSeed.seed("SWIFT_URING_EXACTLY_ONCE_SEED", "exactly-once cancelled reads")
        let lanes = 64
        let contents = randomBytes(256 * 1024)
        let scratch = try TemporaryFile(contents: contents)
        let failures = FailureLog()
        let start = ContinuousClock.now

        let tally = try await withRuntime(workers: 2) { runtime in
            let data = try await File.open(scratch.path, .readOnly)
            var channels: [Channel] = []
            for _ in 0..<lanes {
                channels.append(try Channel())
            }
            let feeder = Feeder(channels: channels, failures: failures)
            let returns = ReturnCounts(total)
            let nextOperation = OperationNumbers()
            let context = LaneContext(
                data: data, contents: contents, channels: channels, feeder: feeder, returns: returns,
                failures: failures, total: total, executor: runtime.executor)

            let tally = await withTaskGroup(of: Tally.self) { group in
                for lane in 0..<lanes {
                    group.addTask(executorPreference: runtime.executor) {
                        await runLane(lane, context: context, seed: seed, next: nextOperation)
                    }
                }
                var tally = Tally()
                for await laneTally in group { tally.add(laneTally) }
                return tally
            }
            let written = feeder.stop()

            // Give any read the kernel might still hold one more chance to write: one more
            // tag to every pipe and socket, then a pause, then check every buffer.
            for (index, channel) in channels.enumerated() {
                for kind in Channel.Kind.allCases {
                    channel.write(tag: UInt64(written[index][kind.rawValue]), kind: kind, failures: failures)
                }
            }
            try await Task.sleep(for: .milliseconds(20))
            for lane in context.laneBuffers where !lane.allSentinel() {
                failures.record("a buffer changed after its read returned (found at the end)")
            }
            // Every tag written was read exactly once, in order, or is still in the channel.
            for (index, channel) in channels.enumerated() {
                for kind in Channel.Kind.allCases {
                    let readSoFar = context.expectedTags[index].load(kind)
                    let left = channel.drain(kind)
                    let expected = Array(UInt64(readSoFar)...UInt64(written[index][kind.rawValue]))
                    if left != expected {
                        failures.record("\(kind) \(index): read \(readSoFar) tags, \(written[index][kind.rawValue]) + 1 written, left \(left.prefix(8))…")
                    }
                }
            }
            let missing = returns.countNot(1)
            if missing > 0 { failures.record("\(missing) operations did not return exactly once") }

            // Every read of this test has returned by now, so nothing of ours may stay in
            // flight. Other tests run beside this one, and a call made off any runtime's
            // workers is served by the newest runtime alive (RuntimeRegistry), which can be
            // this one: such a foreign operation may still be finishing here. So a count that
            // differs is read again until it settles (watchdog 30 s); one that never settles
            // is an operation the ring never finished.
            let statistics = await runtime.statistics()
            var settled = statistics
            func unsettled(_ all: [DriverStatistics]) -> Bool {
                all.map(\.operationsStarted).reduce(0, +) != all.map(\.operationsCompleted).reduce(0, +)
                    || all.contains { $0.operationsInFlight != 0 }
            }
            let watchdog = ContinuousClock.now + .seconds(30)
            while unsettled(settled) && ContinuousClock.now < watchdog {
                try await Task.sleep(for: .milliseconds(50))
                settled = await runtime.statistics()
            }
            func rings(_ all: [DriverStatistics]) -> String {
                all.map {
                    "worker \($0.worker): started \($0.operationsStarted), completed \($0.operationsCompleted), "
                        + "in flight \($0.operationsInFlight), remote \($0.remoteSubmissions), "
                        + "cancels \($0.cancellationsSubmitted), stale \($0.staleCompletions)"
                }.joined(separator: "; ")
            }
            if unsettled(statistics) {
                print("exactly-once: counts at the end: \(rings(statistics)); settled to: \(rings(settled))")
            }
            let started = settled.map(\.operationsStarted).reduce(0, +)
            let completed = settled.map(\.operationsCompleted).reduce(0, +)
            #expect(
                started == completed,
                "driver: \(started) operations started, \(completed) completed 30 s after the end; at the end: \(rings(statistics))")
            #expect(settled.map(\.operationsInFlight).reduce(0, +) == 0, "\(rings(settled))")
            var result = tally
            result.kernelCancels = statistics.map(\.cancellationsSubmitted).reduce(0, +)
            result.started = statistics.map(\.operationsStarted).reduce(0, +)
            try await data.close()
            for channel in channels { try await channel.close() }
            returns.deallocate()
            return result
        }
        let elapsed = ContinuousClock.now - start
        print(
            "exactly-once: \(total) reads in \(seconds(elapsed)): \(tally.full) full, \(tally.partial) partial, "
                + "\(tally.cancelled) CancellationError (\(tally.kernelCancels) ASYNC_CANCELs submitted), "
                + "\(tally.started) reached the ring; by kind "
                + "file/pipe/socket full \(tally.fullByKind) cancelled \(tally.cancelledByKind)")
        failures.expectNone("exactly-once cancelled reads")
        #expect(tally.full + tally.partial + tally.cancelled == total)
        #expect(tally.other == 0)
        // The race is real only if cancels met reads that were waiting in the kernel.
        #expect(tally.kernelCancels > 0)
        #expect(tally.full > 0 && tally.cancelled > 0)
    }
}

// MARK: - Lanes

/// What one read returned.
private enum Outcome: Sendable {
    case count(Int)
    case cancelled
    case other(String)
}

private struct Tally: Sendable {
    var full = 0, partial = 0, cancelled = 0, other = 0
    var fullByKind = [0, 0, 0], cancelledByKind = [0, 0, 0]
    var kernelCancels = 0, started = 0

    mutating func add(_ other: Tally) {
        full += other.full
        partial += other.partial
        cancelled += other.cancelled
        self.other += other.other
        for kind in 0..<3 {
            fullByKind[kind] += other.fullByKind[kind]
            cancelledByKind[kind] += other.cancelledByKind[kind]
        }
    }
}

/// Everything the lanes share.
private struct LaneContext: Sendable {
    static let bufferSize = 16 * 1024
    static let buffersPerLane = 4
    static let sentinel: UInt8 = 0xE7

    let data: File
    let contents: [UInt8]
    let channels: [Channel]
    let feeder: Feeder
    let returns: ReturnCounts
    let failures: FailureLog
    let total: Int
    let executor: URingExecutor
    let laneBuffers: [LaneBuffers]
    /// Per lane: the next tag each of its channels must deliver (pipe, socket).
    let expectedTags: [ExpectedTags]

    init(
        data: File, contents: [UInt8], channels: [Channel], feeder: Feeder, returns: ReturnCounts,
        failures: FailureLog, total: Int, executor: URingExecutor
    ) {
        self.data = data
        self.contents = contents
        self.channels = channels
        self.feeder = feeder
        self.returns = returns
        self.failures = failures
        self.total = total
        self.executor = executor
        laneBuffers = channels.map { _ in LaneBuffers() }
        expectedTags = channels.map { _ in ExpectedTags() }
    }
}

/// One lane: reads one after another (so each channel has at most one read in flight),
/// each in its own task, which the feeder cancels at a random time.
private func runLane(_ lane: Int, context: LaneContext, seed: UInt64, next: OperationNumbers) async -> Tally {
    var random = SplitMix64(seed: seed &+ UInt64(lane) &* 0x1_0000_0001)
    var tally = Tally()
    let buffers = context.laneBuffers[lane]
    let channel = context.channels[lane]
    let expected = context.expectedTags[lane]
    var use = 0
    while true {
        let operation = next.take()
        guard operation < context.total else { break }
        let buffer = buffers.buffer(use % LaneContext.buffersPerLane)
        use += 1
        if !LaneBuffers.isSentinel(buffer) {
            context.failures.record("lane \(lane): a buffer changed after its read returned")
        }
        let kindNumber = Int.random(in: 0..<3, using: &random)
        let offset = Int.random(in: 0..<(context.contents.count / 4096), using: &random) * 4096
        let returns = context.returns
        let data = context.data
        let target: UnsafeMutableRawBufferPointer
        let file: File
        switch kindNumber {
        case 0:
            target = buffer
            file = data
        default:
            target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<8])
            file = channel.reader(Channel.Kind(rawValue: kindNumber - 1)!)
        }
        let readAt = kindNumber == 0 ? Int64(offset) : 0
        let shared = TestBuffer(bytes: target)
        let task = Task(executorPreference: context.executor) { () -> Outcome in
            let outcome: Outcome
            do {
                outcome = .count(try await file.read(into: shared.bytes, at: readAt))
            } catch is CancellationError {
                outcome = .cancelled
            } catch {
                outcome = .other("\(error)")
            }
            returns.returned(operation)
            return outcome
        }
        let now = monotonicNanoseconds()
        context.feeder.schedule(.cancel(task), at: now + UInt64.random(in: 0...100_000, using: &random))
        if kindNumber != 0 && Bool.random(using: &random) {
            context.feeder.schedule(
                .write(lane: lane, kind: Channel.Kind(rawValue: kindNumber - 1)!),
                at: now + UInt64.random(in: 0...100_000, using: &random))
        }
        let outcome = await task.value
        switch outcome {
        case .count(let count):
            // A file read's full length, or a pipe or socket tag's 8 bytes.
            let fullLength = kindNumber == 0 ? min(LaneContext.bufferSize, context.contents.count - offset) : 8
            if kindNumber == 0 {
                let wanted = fullLength
                let matches = context.contents.withUnsafeBytes { memcmp(target.baseAddress!, $0.baseAddress! + offset, count) == 0 }
                if !matches || count > wanted || count < 0 {
                    context.failures.record("file read of \(wanted) at \(offset) returned \(count) bytes, matching: \(matches)")
                }
                if count == wanted { tally.full += 1 } else { tally.partial += 1 }
            } else {
                let kind = Channel.Kind(rawValue: kindNumber - 1)!
                let tag = target.loadUnaligned(as: UInt64.self)
                let wanted = UInt64(expected.load(kind))
                if count != 8 || tag != wanted {
                    context.failures.record("lane \(lane) \(kind) read returned \(count) bytes, tag \(tag), expected tag \(wanted)")
                }
                expected.advance(kind)
                tally.full += 1
            }
            if count == fullLength {
                tally.fullByKind[kindNumber] += 1
            }
        case .cancelled:
            tally.cancelled += 1
            tally.cancelledByKind[kindNumber] += 1
        case .other(let description):
            tally.other += 1
            context.failures.record("lane \(lane) kind \(kindNumber): unexpected error \(description)")
        }
        memset(buffer.baseAddress!, Int32(LaneContext.sentinel), buffer.count)
    }
    return tally
}

/// Hands out operation numbers to the lanes.
private final class OperationNumbers: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Each operation's number of returns (a continuation resumed twice would run the code
/// after the read twice and count 2).
private final class ReturnCounts: @unchecked Sendable {
    // @unchecked: each index is written only by its own operation's task; read after all finished.
    let counts: UnsafeMutableBufferPointer<UInt8>

    init(_ count: Int) {
        counts = .allocate(capacity: count)
        counts.initialize(repeating: 0)
    }

    func returned(_ operation: Int) { counts[operation] &+= 1 }
    func countNot(_ wanted: UInt8) -> Int { counts.reduce(0) { $0 + ($1 == wanted ? 0 : 1) } }
    func deallocate() { counts.deallocate() }
}

/// A lane's rotating buffers, sentinel-filled whenever no read owns them.
private final class LaneBuffers: @unchecked Sendable {
    // @unchecked: used by one lane at a time, read at the end after every lane finished.
    let storage: UnsafeMutableRawBufferPointer
    static let sentinelBlock: [UInt8] = [UInt8](repeating: LaneContext.sentinel, count: LaneContext.bufferSize)

    init() {
        storage = .allocate(byteCount: LaneContext.bufferSize * LaneContext.buffersPerLane, alignment: 4096)
        storage.initializeMemory(as: UInt8.self, repeating: LaneContext.sentinel)
    }

    deinit { storage.deallocate() }

    func buffer(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(
            rebasing: storage[(index * LaneContext.bufferSize)..<((index + 1) * LaneContext.bufferSize)])
    }

    static func isSentinel(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        sentinelBlock.withUnsafeBytes { memcmp(buffer.baseAddress!, $0.baseAddress!, buffer.count) == 0 }
    }

    func allSentinel() -> Bool {
        (0..<LaneContext.buffersPerLane).allSatisfy { Self.isSentinel(buffer($0)) }
    }
}

/// The next tag a lane must read from its pipe and its socket.
private final class ExpectedTags: Sendable {
    private let pipe = Atomic<Int>(0)
    private let socket = Atomic<Int>(0)
    func load(_ kind: Channel.Kind) -> Int { kind == .pipe ? pipe.load(ordering: .relaxed) : socket.load(ordering: .relaxed) }
    func advance(_ kind: Channel.Kind) {
        if kind == .pipe { pipe.add(1, ordering: .relaxed) } else { socket.add(1, ordering: .relaxed) }
    }
}

// MARK: - Channels and the feeder

/// A lane's pipe and socket pair: the reading ends are Files the reads go through, the
/// writing ends belong to the feeder (non-blocking: a full channel is a failure, not a stall).
private final class Channel: Sendable {
    enum Kind: Int, CaseIterable, CustomStringConvertible {
        case pipe = 0, socket = 1
        var description: String { self == .pipe ? "pipe" : "socket" }
    }

    let pipeReader: File
    let socketReader: File
    let writers: [Int32]

    init() throws {
        let pipe = try makePipe()
        let (socketRead, socketWrite) = try makeSocketPair()
        try setNonBlocking(pipe.write)
        try setNonBlocking(socketWrite)
        pipeReader = File(taking: FileDescriptor(rawValue: pipe.read))
        socketReader = File(taking: FileDescriptor(rawValue: socketRead))
        writers = [pipe.write, socketWrite]
    }

    func reader(_ kind: Kind) -> File { kind == .pipe ? pipeReader : socketReader }

    func write(tag: UInt64, kind: Kind, failures: FailureLog) {
        var value = tag
        let result =
            kind == .socket
            ? Glibc.send(writers[kind.rawValue], &value, 8, Int32(MSG_NOSIGNAL)) : Glibc.write(writers[kind.rawValue], &value, 8)
        if result != 8 { failures.record("\(kind) write of tag \(tag) returned \(result), errno \(errno)") }
    }

    /// The tags left in the channel (call once no read is in flight).
    func drain(_ kind: Kind) -> [UInt64] {
        let descriptor = reader(kind).descriptor.rawValue
        guard (try? setNonBlocking(descriptor)) != nil else { return [] }
        let bytes = drainNonBlocking(descriptor)
        return stride(from: 0, to: bytes.count - 7, by: 8).map { start in
            bytes[start..<(start + 8)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
    }

    func close() async throws {
        try await pipeReader.close()
        try await socketReader.close()
        for writer in writers { Glibc.close(writer) }
    }
}

/// A thread that fires cancels and writes at their times, spinning on the monotonic
/// clock between them (µs precision; sleeping would round every delay up to ~50 µs+).
private final class Feeder: @unchecked Sendable {
    // @unchecked: `incoming` is locked; `heap` and `written` belong to the feeder thread
    // (`written` is read by `stop()` after the thread finished).
    enum Action {
        case cancel(Task<Outcome, Never>)
        case write(lane: Int, kind: Channel.Kind)
    }

    private struct Event {
        let time: UInt64
        let action: Action
    }

    private let incoming = ThreadLock<(events: [Event], stopping: Bool)>(([], false))
    private let finished = DispatchSemaphore(value: 0)
    private let channels: [Channel]
    private var heap: [Event] = []
    /// Per lane, tags written to its pipe and its socket.
    private var written: [[Int]]
    private let failures: FailureLog

    init(channels: [Channel], failures: FailureLog) {
        self.channels = channels
        self.failures = failures
        written = channels.map { _ in [0, 0] }
        let thread = Thread { [self] in run() }
        thread.start()
    }

    func schedule(_ action: Action, at time: UInt64) {
        incoming.withLock { $0.events.append(Event(time: time, action: action)) }
    }

    /// Fires every write still pending (cancels no longer matter), stops the thread and
    /// returns the tags written per lane and kind.
    func stop() -> [[Int]] {
        incoming.withLock { $0.stopping = true }
        finished.wait()
        return written
    }

    private func run() {
        var batch: [Event] = []
        while true {
            let stopping = incoming.withLock { state -> Bool in
                swap(&state.events, &batch)
                return state.stopping
            }
            for event in batch { push(event) }
            batch.removeAll(keepingCapacity: true)
            let now = stopping ? UInt64.max : monotonicNanoseconds()
            while let first = heap.first, first.time <= now {
                fire(pop().action)
            }
            if stopping { break }
            if heap.isEmpty { sched_yield() }
        }
        finished.signal()
    }

    private func fire(_ action: Action) {
        switch action {
        case .cancel(let task):
            task.cancel()
        case .write(let lane, let kind):
            channels[lane].write(tag: UInt64(written[lane][kind.rawValue]), kind: kind, failures: failures)
            written[lane][kind.rawValue] += 1
        }
    }

    // A binary min-heap on `time`.
    private func push(_ event: Event) {
        heap.append(event)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].time < heap[parent].time else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() -> Event {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && heap[left].time < heap[smallest].time { smallest = left }
                if right < heap.count && heap[right].time < heap[smallest].time { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
