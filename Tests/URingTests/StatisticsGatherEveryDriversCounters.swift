import Testing
import URing

@Suite("URingRuntime.statistics gathers every driver's counters", .requiresIOURing)
struct StatisticsGatherEveryDriversCounters {
    @Test("after 100 reads: one entry per worker, the reads counted, nothing left in flight")
    func countsReads() async throws {
        let scratch = try TemporaryFile(contents: [UInt8](repeating: 7, count: 4096))
        try await withRuntime(workers: 2) { runtime in
            let before = await runtime.statistics()
            let file = try await File.open(scratch.path, .readOnly)
            for _ in 0..<100 {
                #expect(try await file.read(count: 4096, at: 0).count == 4096)
            }
            try await file.close()
            let after = await runtime.statistics()
            #expect(after.map(\.worker) == [0, 1])
            let completed = after.map(\.operationsCompleted).reduce(0, +) - before.map(\.operationsCompleted).reduce(0, +)
            #expect(completed >= 102)  // 100 reads, the open and the close
            #expect(after.map(\.operationsInFlight).reduce(0, +) == 0)
        }
    }

    @Test("a runtime that shut down reports no drivers")
    func afterShutdown() async throws {
        let runtime = try URingRuntime(.init(workers: 1))
        await runtime.shutdown()
        #expect(await runtime.statistics().isEmpty)
    }
}
