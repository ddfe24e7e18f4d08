// Issue 7, close while in flight: `close()` on a File or a stream waits for the calls
// already in flight and refuses new ones, so no read can run on the descriptor number
// after it was closed and handed to another file. Each round opens A (every byte of its
// contents is A's tag), starts readers that read A until it is closed, closes A while
// they run, opens B (usually given A's descriptor number; counted) and reads it. Every
// byte a read on A returns must be A's, every byte read on B must be B's.

import Glibc
import Synchronization
import Testing
import URing

@Suite("Hardening: closing while calls are in flight never reads another file", .requiresIOURing)
struct HardeningClosingWhileCallsAreInFlightNeverReadsAnotherFile {
    @Test("10,000 rounds of file close + descriptor reuse with different contents: 0 reads from the wrong file")
    func filesCloseWhileReading() async throws {
        let rounds = StressScale.count(10_000, "file close + reuse rounds")
        let files = try (0..<8).map { index in
            try TemporaryFile(contents: [UInt8](repeating: Self.tag(index), count: 4096))
        }
        let failures = FailureLog()
        let tally = Tally()
        let start = ContinuousClock.now
        try await withRuntime(workers: 2) { runtime in
            for round in 0..<rounds {
                let a = round % files.count, b = (round + 3) % files.count
                let fileA = try await File.open(files[a].path, .readOnly)
                let readers = (0..<3).map { reader in
                    Task(executorPreference: runtime.executor) {
                        await Self.readUntilClosed(fileA, tag: Self.tag(a), limit: 4, what: "round \(round) reader \(reader) on A", failures: failures, tally: tally)
                    }
                }
                // Let the readers get going for a varying while, then close under them.
                for _ in 0..<(round % 4) { await Task.yield() }
                try await fileA.close()
                let fileB = try await File.open(files[b].path, .readOnly)
                if fileB.descriptor == fileA.descriptor { tally.reused.add(1, ordering: .relaxed) }
                let bytes = try await fileB.read(count: 4096, at: 0)
                if bytes.count != 4096 || bytes.contains(where: { $0 != Self.tag(b) }) {
                    failures.record("round \(round): B read \(bytes.count) bytes, not all B's")
                }
                for reader in readers { await reader.value }
                try await fileB.close()
            }
        }
        let elapsed = ContinuousClock.now - start
        let reads = tally.reads.load(ordering: .relaxed), reused = tally.reused.load(ordering: .relaxed)
        print("close while reading: \(rounds) file rounds in \(seconds(elapsed)): \(reads) reads on A, B got A's descriptor in \(reused) rounds")
        failures.expectNone("file close + reuse")
        #expect(reads > 0)
        // The reuse is what makes a late read land on the wrong file; it must have happened.
        #expect(reused > 0)
    }

    @Test("1,000 rounds of stream close + descriptor reuse with different contents: 0 receives from the wrong socket")
    func streamsCloseWhileReceiving() async throws {
        let rounds = max(StressScale.count(1_000, "stream close + reuse rounds"), 200)
        let failures = FailureLog()
        let tally = Tally()
        let start = ContinuousClock.now
        let phase = Shared("")
        try await withRuntime(workers: 2) { runtime in
            for round in 0..<rounds {
                let finished: Bool? = try await withWatchdog(.seconds(20), "stream round \(round)", executor: runtime.executor) {
                    try await Self.streamRound(round, runtime: runtime, failures: failures, tally: tally, phase: phase)
                    return true
                }
                if finished == nil {
                    Issue.record("stream round \(round) hangs in phase: \(phase.value)")
                    break
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let reads = tally.reads.load(ordering: .relaxed), reused = tally.reused.load(ordering: .relaxed)
        print("close while receiving: \(rounds) stream rounds in \(seconds(elapsed)): \(reads) receives on A, B got A's descriptor in \(reused) rounds")
        failures.expectNone("stream close + reuse")
        #expect(reads > 0)
        #expect(reused > 0)
    }

    static func streamRound(_ round: Int, runtime: URingRuntime, failures: FailureLog, tally: Tally, phase: Shared<String>) async throws {
        phase.update { $0 = "start" }
        let tagA = Self.tag(round % 8), tagB = Self.tag((round + 3) % 8)
        let (localA, peerA) = try makeSocketPair()
        let streamA = TCPStream(taking: FileDescriptor(rawValue: localA))
        // Three readers take at most 3 × 5 × 64 bytes of the 4 KiB sent, so none waits
        // for data that never comes (close waits for receives in flight). Overlapping
        // receives once left a plain recv waiting while the multishot receive had queued
        // every byte, and close() hung (HardeningReceivesWaitingOnOneStreamAllWake).
        let readers = (0..<3).map { reader in
            Task(executorPreference: runtime.executor) {
                await Self.receiveUntilClosed(streamA, tag: tagA, limit: 5, what: "round \(round) reader \(reader) on A", failures: failures, tally: tally)
            }
        }
        for _ in 0..<(round % 3) { await Task.yield() }
        let sentA = [UInt8](repeating: tagA, count: 4096).withUnsafeBytes { Glibc.send(peerA, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sentA != 4096 { failures.record("round \(round): send to A returned \(sentA)") }
        for _ in 0..<(round % 4) { await Task.yield() }
        phase.update { $0 = "closing A" }
        try await streamA.close()
        Glibc.close(peerA)
        phase.update { $0 = "receiving on B" }
        let (localB, peerB) = try makeSocketPair()
        if localB == localA || peerB == localA { tally.reused.add(1, ordering: .relaxed) }
        let streamB = TCPStream(taking: FileDescriptor(rawValue: localB))
        let sentB = [UInt8](repeating: tagB, count: 256).withUnsafeBytes { Glibc.send(peerB, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sentB != 256 { failures.record("round \(round): send to B returned \(sentB)") }
        var received = 0
        while received < 256 {
            let bytes = try await streamB.receive(maxCount: 256 - received)
            if bytes.isEmpty || bytes.contains(where: { $0 != tagB }) {
                failures.record("round \(round): B received \(bytes.count) bytes, not all B's")
                break
            }
            received += bytes.count
        }
        phase.update { $0 = "waiting for A's readers" }
        for reader in readers { await reader.value }
        phase.update { $0 = "closing B" }
        try await streamB.close()
        Glibc.close(peerB)
    }

    static func tag(_ index: Int) -> UInt8 { UInt8(0x41 + index) }

    /// Reads `file` until it is closed or `limit` reads were made; every byte must be `tag`.
    static func readUntilClosed(_ file: File, tag: UInt8, limit: Int, what: String, failures: FailureLog, tally: Tally) async {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
        defer { buffer.deallocate() }
        for _ in 0..<limit {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            do {
                let count = try await file.read(into: buffer, at: Int64(tally.reads.load(ordering: .relaxed) % 8) * 512)
                tally.reads.add(1, ordering: .relaxed)
                if count != 512 || buffer.contains(where: { $0 != tag }) {
                    failures.record("\(what): \(count) bytes, first \(buffer.first ?? 0), not all \(tag)")
                }
            } catch URingError.closed {
                return
            } catch {
                failures.record("\(what): \(type(of: error)) \(error)")
                return
            }
        }
    }

    /// Receives from `stream` until it is closed or `limit` receives were made; every
    /// byte must be `tag`.
    static func receiveUntilClosed(_ stream: TCPStream, tag: UInt8, limit: Int, what: String, failures: FailureLog, tally: Tally) async {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        for _ in 0..<limit {
            do {
                let count = try await stream.receive(into: buffer)
                tally.reads.add(1, ordering: .relaxed)
                if count == 0 || buffer[..<count].contains(where: { $0 != tag }) {
                    failures.record("\(what): \(count) bytes, not all \(tag)")
                }
            } catch URingError.closed {
                return
            } catch {
                failures.record("\(what): \(type(of: error)) \(error)")
                return
            }
        }
    }

    final class Tally: Sendable {
        let reads = Atomic<Int>(0)
        let reused = Atomic<Int>(0)
    }
}
