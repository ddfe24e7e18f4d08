// When io_uring_enter reports EBADR (the kernel dropped CQEs), the driver cancels every
// operation in flight to find those whose CQE was lost; nothing waits forever.

import Glibc
import Testing
@_spi(URingInternals) import URing

@Suite("Dropped CQEs (EBADR) end operations with an error instead of a hang", .requiresIOURingBackend)
struct DroppedCompletionsEndOperationsWithAnError {
    @Test("EBADR on 2% of enters: 20,000 reads and sleeps all return a result or EBADR; the driver recovered")
    func everyOperationReturns() async throws {
        // Not a 1M-op stress test: scaled down (sanitizer runs) it keeps enough enters to
        // meet injected EBADRs.
        let count = max(StressScale.count(20_000), 5_000)
        let scratch = try TemporaryFile(contents: (0..<4096).map { UInt8(truncatingIfNeeded: $0) })
        let faults = RingFaults(enterFailureRate: 0.02, enterErrors: [.completionsDropped], seed: 42)
        let outcome = try await withRuntime({ $0.ringFaults = faults }) { runtime in
            let file = try await File.open(scratch.path, .readOnly)
            let tally = try await withThrowingTaskGroup(of: (ok: Int, lost: Int, wrong: Int).self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var tally = (ok: 0, lost: 0, wrong: 0)
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
                        defer { buffer.deallocate() }
                        for index in stride(from: task, to: count, by: 64) {
                            do {
                                if index % 10 == 0 {
                                    try await URingRuntime.sleep(for: .microseconds(50))
                                    tally.ok += 1
                                } else {
                                    let offset = Int64(index % 4000)
                                    let read = try await file.read(into: buffer, at: offset)
                                    let expected = (0..<64).map { UInt8(truncatingIfNeeded: Int(offset) + $0) }
                                    if read == 64 && Array(buffer) == expected { tally.ok += 1 } else { tally.wrong += 1 }
                                }
                            } catch let error as Errno where error.rawValue == EBADR {
                                tally.lost += 1
                            }
                        }
                        return tally
                    }
                }
                return try await group.reduce((ok: 0, lost: 0, wrong: 0)) { ($0.ok + $1.ok, $0.lost + $1.lost, $0.wrong + $1.wrong) }
            }
            try await file.close()
            let statistics = await runtime.statistics()
            return (
                tally, statistics.map(\.lostCompletionRecoveries).reduce(0, +),
                statistics.map(\.ring.droppedCompletionEvents).reduce(0, +),
                statistics.map(\.operationsInFlight).reduce(0, +)
            )
        }
        print("EBADR recovery: \(outcome.0.ok) ok, \(outcome.0.lost) ended by EBADR, \(outcome.1) recoveries, \(outcome.2) EBADR events")
        #expect(outcome.0.ok + outcome.0.lost == count)
        #expect(outcome.0.wrong == 0)
        #expect(outcome.1 > 0, "no EBADR was injected")
        #expect(outcome.1 == outcome.2)
        #expect(outcome.3 == 0)
    }
}
