// Issue 7, small rings: a runtime whose rings have SQ 2 and CQ 4 (ringEntries 2; the CQ
// gets twice as many) runs 10,000 pipe reads at once. Submitting them flushes the
// 2-entry SQ thousands of times; once all are waiting in the kernel, every pipe gets
// its data in one write while both workers are held by spinning tasks, so thousands of
// CQEs are posted into CQs of 4 with nobody reaping: the kernel keeps the rest in its
// overflow list (NODROP) and the driver must reap them all.
// Every read must return its own tag (each tag exactly once per pipe), within a watchdog.

import Glibc
import Testing
import URing

@Suite("Hardening: SQ 2 / CQ 4 rings under 10,000 concurrent operations", .requiresIOURingBackend)
struct HardeningTinyRingsCarryTenThousandOperations {
    @Test("10,000 pipe reads completing at once on SQ 2 / CQ 4 rings: every read correct, nothing lost, no hang")
    func overflowingCompletionQueue() async throws {
        let pipes = 50
        let perPipe = max(1, StressScale.count(10_000, "small ring concurrent reads") / pipes)
        let total = pipes * perPipe
        let failures = FailureLog()
        // A hang, not slowness: the sanitizer runs (reduced scale) start every suite at once
        // on 2 cores, and this test's tasks waited over a minute for a thread there.
        let hangLimit: Duration = StressScale.isReduced ? .seconds(600) : .seconds(120)
        let start = ContinuousClock.now
        let statistics = try await withRuntime(workers: 2, { $0.ringEntries = 2 }) { runtime in
            try await withWatchdog(hangLimit, "10,000 concurrent reads on SQ 2 / CQ 4 rings") {
                let channels = try (0..<pipes).map { _ in try makePipe() }
                let readers = channels.map { File(taking: FileDescriptor(rawValue: $0.read)) }
                let tags = await withTaskGroup(of: (pipe: Int, tag: UInt64?).self) { group in
                    for read in 0..<total {
                        group.addTask(executorPreference: runtime.executor) {
                            let pipe = read % pipes
                            do {
                                let bytes = try await readers[pipe].read(count: 8, at: 0)
                                guard bytes.count == 8 else {
                                    failures.record("pipe \(pipe): a read returned \(bytes.count) bytes")
                                    return (pipe, nil)
                                }
                                return (pipe, bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                            } catch {
                                failures.record("pipe \(pipe): \(type(of: error)) \(error)")
                                return (pipe, nil)
                            }
                        }
                    }
                    // Wait until every read waits in the kernel, then complete them all at once.
                    var inFlight = 0
                    let waitLimit = ContinuousClock.now + hangLimit / 2
                    while ContinuousClock.now < waitLimit {
                        inFlight = await runtime.statistics().map(\.operationsInFlight).reduce(0, +)
                        if inFlight >= total { break }
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    if inFlight < total { failures.record("only \(inFlight) of \(total) reads were ever in flight together") }
                    print("small ring: \(inFlight) reads in flight at once on rings with a CQ of 4")
                    // Hold both workers (neither reaps) while every pipe gets its data, so each
                    // ring's completions pile up past its 4-entry CQ: the overflow is certain at
                    // any scale, not a race with the reaping worker.
                    let heldWorkers = Shared(0)
                    let writesDone = Shared(false)
                    await withTaskGroup(of: Void.self) { holders in
                        for holder in 0..<2 {
                            holders.addTask(executorPreference: runtime.executor) {
                                heldWorkers.update { $0 += 1 }
                                // Spin (no syscall, no suspension) until both workers are held.
                                let meetBy = ContinuousClock.now + .seconds(5)
                                while heldWorkers.value < 2 && ContinuousClock.now < meetBy {}
                                if heldWorkers.value < 2 { failures.record("the two holder tasks never ran at once on the 2 workers") }
                                if holder == 0 {
                                    for channel in channels {
                                        let payload = (0..<UInt64(perPipe)).flatMap { tag in withUnsafeBytes(of: tag) { Array($0) } }
                                        let count = payload.withUnsafeBytes { Glibc.write(channel.write, $0.baseAddress, $0.count) }
                                        if count != payload.count { failures.record("a pipe write returned \(count)") }
                                    }
                                    writesDone.update { $0 = true }
                                }
                                // Both hold on until the writes are done, plus 20 ms for the kernel.
                                let writesBy = ContinuousClock.now + .seconds(30)
                                while !writesDone.value && ContinuousClock.now < writesBy {}
                                let settle = ContinuousClock.now + .milliseconds(20)
                                while ContinuousClock.now < settle {}
                            }
                        }
                    }
                    var tags = [[UInt64]](repeating: [], count: pipes)
                    for await (pipe, tag) in group {
                        if let tag { tags[pipe].append(tag) }
                    }
                    return tags
                }
                for (pipe, read) in tags.enumerated() where read.sorted() != Array(0..<UInt64(perPipe)) {
                    failures.record("pipe \(pipe): tags read \(read.count), distinct \(Set(read).count), expected 0..<\(perPipe)")
                }
                for reader in readers { try await reader.close() }
                for channel in channels { Glibc.close(channel.write) }
                return await runtime.statistics()
            }
        }
        let elapsed = ContinuousClock.now - start
        failures.expectNone("reads on SQ 2 / CQ 4 rings")
        guard let statistics else { return }
        let rings = statistics.map(\.ring)
        print(
            "small ring: \(total) reads in \(seconds(elapsed)); enters \(rings.map(\.enterCalls).reduce(0, +)), "
                + "SQ-full flushes \(rings.map(\.fullQueueFlushes).reduce(0, +)), retries \(rings.map(\.enterRetries).reduce(0, +)), "
                + "backlogged \(rings.map(\.backlogged).reduce(0, +)), overflowed (koverflow) \(rings.map(\.overflowedCompletions).reduce(0, +)), "
                + "CQ overflows seen \(rings.map(\.completionQueueOverflows).reduce(0, +)), "
                + "dropped (EBADR) \(rings.map(\.droppedCompletionEvents).reduce(0, +))")
        #expect(statistics.map(\.operationsInFlight).reduce(0, +) == 0)
        #expect(statistics.map(\.operationsStarted).reduce(0, +) == statistics.map(\.operationsCompleted).reduce(0, +))
        // Submitting through a 2-entry SQ must have flushed it many times.
        #expect(rings.map(\.fullQueueFlushes).reduce(0, +) > 0)
        // Completions piled up while both workers were held: the 4-entry CQs overflowed...
        #expect(rings.map(\.completionQueueOverflows).reduce(0, +) > 0)
        // ...and the kernel had memory for its overflow list: nothing was dropped.
        #expect(rings.map(\.droppedCompletionEvents).reduce(0, +) == 0)
        #expect(rings.map(\.overflowedCompletions).reduce(0, +) == 0)
    }
}
