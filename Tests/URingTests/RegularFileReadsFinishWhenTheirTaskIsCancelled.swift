// Reads and writes of regular files and block devices finish within the device's
// latency, and the kernel cannot interrupt them once started, so they run without a
// cancellation handler (Operations/Perform.swift, `cancellable`). Cancelling their task
// must then cost nothing and lose nothing: each call returns its full result, or throws
// CancellationError before it reaches the ring, and no IORING_OP_ASYNC_CANCEL is sent.
// A pipe read keeps its cancellation (CancellingATaskCancelsItsOperation).

import Glibc
import Synchronization
import Testing
import URing

@Suite("Regular-file reads finish when their task is cancelled", .requiresIOURing)
struct RegularFileReadsFinishWhenTheirTaskIsCancelled {
    @Test("16 tasks reading a file, cancelled mid-run: every read returned whole and correct, no kernel cancel")
    func cancelledReadersGetWholeReads() async throws {
        let contents = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let scratch = try TemporaryFile(contents: contents)
        let expected = contents
        try await withRuntime { runtime in
            let file = try await File.open(scratch.path, .readOnly)
            let readers = (0..<16).map { lane in
                Task(executorPreference: runtime.executor) { () -> (reads: Int, ended: String) in
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
                    defer { buffer.deallocate() }
                    var reads = 0
                    while reads < 10_000_000 {
                        let offset = ((lane + reads) % 16) * 4096
                        let count: Int
                        do {
                            count = try await file.read(into: buffer, at: Int64(offset))
                        } catch is CancellationError {
                            return (reads, "cancelled")
                        } catch {
                            return (reads, "\(error)")
                        }
                        guard count == 4096, buffer.elementsEqual(expected[offset..<offset + 4096]) else {
                            return (reads, "read \(count) bytes at \(offset), or the wrong ones")
                        }
                        reads += 1
                    }
                    return (reads, "finished without being cancelled")
                }
            }
            try await URingRuntime.sleep(for: .milliseconds(50))
            for reader in readers { reader.cancel() }
            var total = 0
            for reader in readers {
                let (reads, ended) = await reader.value
                #expect(ended == "cancelled")
                total += reads
            }
            #expect(total > 0)
            let statistics = await runtime.statistics()
            #expect(statistics.map(\.cancellationsSubmitted).reduce(0, +) == 0)
            #expect(statistics.map(\.operationsInFlight).reduce(0, +) == 0)
            try await file.close()
        }
    }
}
