// Issue 7, dropped completions: io_uring_enter reports EBADR when the kernel could not
// keep overflowed CQEs (out of memory) and dropped some. The Ring's fault seam injects
// EBADR into 2% of enters under load: no-ops and cached reads (which finish at once) and
// pipe reads that wait in the kernel until a writer task feeds them. After an EBADR the
// driver cancels everything in flight with a probe; callers whose operation the probe
// ended, or whose CQE never comes, get Errno EBADR (completionsDropped). The run must
// finish within a watchdog (a lost CQE never becomes a hang), the drivers must count the
// events and the recoveries, and every call must end with its result or EBADR.

import Glibc
import Synchronization
import Testing
@_spi(URingInternals) import URing

@Suite("Hardening: dropped-completion events (EBADR) never hang the runtime", .requiresIOURingBackend)
struct HardeningDroppedCompletionEventsNeverHangTheRuntime {
    @Test("EBADR injected into 2% of enters over 100,000 operations and pipe reads waiting meanwhile: finishes, counted, every call ends with its result or EBADR")
    func injectedDroppedCompletions() async throws {
        let total = StressScale.count(100_000, "EBADR injection")
        let lanes = 32
        let contents = randomBytes(4096)
        let scratch = try TemporaryFile(contents: contents)
        let failures = FailureLog()
        let faults = RingFaults(enterFailureRate: 0.02, enterErrors: [.completionsDropped], seed: 0xEBAD)
        // A hang, not slowness: the sanitizer runs (reduced scale) start every suite at once
        // on 2 cores (this test took 66 s there once).
        let hangLimit: Duration = StressScale.isReduced ? .seconds(600) : .seconds(120)
        let start = ContinuousClock.now
        let outcome = try await withRuntime(workers: 2, { $0.ringFaults = faults; $0.ringEntries = 8 }) { runtime in
            try await withWatchdog(hangLimit, "\(total) operations under injected EBADR", executor: runtime.executor) {
                let file = try await File.open(scratch.path, .readOnly)
                let pipes = try (0..<4).map { _ in try makePipe() }
                for pipe in pipes { try setNonBlocking(pipe.write) }
                let readers = pipes.map { File(taking: FileDescriptor(rawValue: $0.read)) }
                let progress = Progress(mainLanes: lanes)
                let ended = await withTaskGroup(of: [String: Int].self) { group in
                    // Pipe reads wait in the kernel until the writer below feeds them.
                    for reader in readers {
                        group.addTask(executorPreference: runtime.executor) {
                            var ended: [String: Int] = [:]
                            // Until the other lanes are done, so the EBADRs meet waiting reads.
                            // Past that, until some recovery has met a waiting pipe read (on
                            // a loaded machine the main lanes' EBADRs can all come while no
                            // pipe read waits on that ring) or `extraReads` more reads.
                            var extraReads = 400
                            while !progress.mainLanesDone || (!progress.pipeReadEndedWithEBADR && extraReads > 0) {
                                if progress.mainLanesDone { extraReads -= 1 }
                                do {
                                    let bytes = try await reader.read(count: 8, at: 0)
                                    if bytes.count != 8 { failures.record("a pipe read returned \(bytes.count) bytes") }
                                    ended["pipe read result", default: 0] += 1
                                } catch let error as Errno where error == .completionsDropped {
                                    ended["pipe read EBADR", default: 0] += 1
                                    progress.pipeReadGotEBADR()
                                } catch {
                                    failures.record("pipe read: \(type(of: error)) \(error)")
                                }
                            }
                            progress.pipeLaneFinished()
                            return ended
                        }
                    }
                    group.addTask(executorPreference: runtime.executor) {
                        var tag: UInt64 = 0
                        while !progress.pipeLanesDone(readers.count) {
                            for pipe in pipes {
                                // EAGAIN (a full pipe) just skips a round.
                                _ = Glibc.write(pipe.write, &tag, 8)
                                tag += 1
                            }
                            // Slow enough that the reads mostly wait in the kernel.
                            try? await URingRuntime.sleep(for: .milliseconds(1))
                        }
                        return [:]
                    }
                    for lane in 0..<lanes {
                        group.addTask(executorPreference: runtime.executor) {
                            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
                            defer { buffer.deallocate() }
                            var ended: [String: Int] = [:]
                            for operation in stride(from: lane, to: total, by: lanes) {
                                do {
                                    if operation % 2 == 0 {
                                        try await URingRuntime.nop()
                                    } else {
                                        let offset = (operation * 64) % contents.count
                                        let count = try await file.read(into: buffer, at: Int64(offset))
                                        let matches = contents.withUnsafeBytes {
                                            count == 64 && buffer.elementsEqual($0[offset..<(offset + 64)])
                                        }
                                        if !matches { failures.record("read \(operation): \(count) bytes, wrong contents") }
                                    }
                                    ended["result", default: 0] += 1
                                } catch let error as Errno where error == .completionsDropped {
                                    // Probed after an EBADR: the ring could not vouch for it.
                                    ended["EBADR", default: 0] += 1
                                } catch {
                                    failures.record("operation \(operation): untyped \(type(of: error)) \(error)")
                                }
                            }
                            progress.mainLaneFinished()
                            return ended
                        }
                    }
                    var all: [String: Int] = [:]
                    for await lane in group { all.merge(lane, uniquingKeysWith: +) }
                    return all
                }
                try await file.close()
                for reader in readers { try await reader.close() }
                for pipe in pipes { Glibc.close(pipe.write) }
                let pipeReads = ended.filter { $0.key.hasPrefix("pipe read") }.values.reduce(0, +)
                return (ended, pipeReads, await runtime.statistics())
            }
        }
        let elapsed = ContinuousClock.now - start
        failures.expectNone("operations under injected EBADR")
        guard let (ended, pipeReads, statistics) = outcome else { return }
        let dropped = statistics.map(\.ring.droppedCompletionEvents).reduce(0, +)
        let recoveries = statistics.map(\.lostCompletionRecoveries).reduce(0, +)
        print(
            "EBADR injection: \(total) operations + \(pipeReads) pipe reads in \(seconds(elapsed)): \(dropped) EBADR events "
                + "counted, \(recoveries) recoveries, \(statistics.map(\.lostCompletions).reduce(0, +)) CQEs declared lost, "
                + "\(statistics.map(\.ring.enterCalls).reduce(0, +)) enters; calls ended: \(ended); in flight at the end "
                + "\(statistics.map(\.operationsInFlight).reduce(0, +)), stale CQEs \(statistics.map(\.staleCompletions).reduce(0, +))")
        #expect(ended.values.reduce(0, +) == total + pipeReads)
        #expect(dropped > 0)
        #expect(recoveries > 0)
        // The recovery really met operations waiting in the kernel, and ended them.
        #expect((ended["pipe read EBADR"] ?? 0) > 0)
        #expect(statistics.map(\.operationsInFlight).reduce(0, +) == 0)
    }
}

/// Which lanes finished: the pipe readers stop after the main lanes, the writer after them.
private final class Progress: Sendable {
    private let mainRemaining: Atomic<Int>
    private let pipeFinished = Atomic<Int>(0)
    private let pipeEBADR = Atomic<Bool>(false)

    init(mainLanes: Int) { mainRemaining = Atomic(mainLanes) }

    func mainLaneFinished() { mainRemaining.subtract(1, ordering: .releasing) }
    var mainLanesDone: Bool { mainRemaining.load(ordering: .acquiring) == 0 }
    func pipeReadGotEBADR() { pipeEBADR.store(true, ordering: .releasing) }
    var pipeReadEndedWithEBADR: Bool { pipeEBADR.load(ordering: .acquiring) }
    func pipeLaneFinished() { pipeFinished.add(1, ordering: .releasing) }
    func pipeLanesDone(_ lanes: Int) -> Bool { pipeFinished.load(ordering: .acquiring) == lanes }
}
