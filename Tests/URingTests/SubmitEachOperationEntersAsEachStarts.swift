// Configuration.submitsEachOperation: each single-shot operation enters the kernel as it
// starts (fio's pattern), instead of waiting for the worker's next poll or park, where
// one io_uring_enter submits the whole batch.

import Testing
import URing

@Suite("submitsEachOperation enters the kernel as each operation starts", .requiresIOURingBackend)
struct SubmitEachOperationEntersAsEachStarts {
    /// 64 concurrent 1-byte reads on one worker, twice; the io_uring_enter calls and the
    /// operations started during the second round.
    static func entersAndStarts(submitsEachOperation: Bool) async throws -> (enters: Int, started: Int) {
        let scratch = try TemporaryFile(contents: (0..<64).map { UInt8($0) })
        let storage = TestBuffer(bytes: .allocate(byteCount: 64, alignment: 16))
        defer { storage.bytes.deallocate() }
        return try await withRuntime(workers: 1, { $0.submitsEachOperation = submitsEachOperation }) { runtime in
            let file = try await File.open(scratch.path, .readOnly)
            func readAll() async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<64 {
                        group.addTask {
                            let byte = UnsafeMutableRawBufferPointer(rebasing: storage.bytes[index..<index + 1])
                            let count = try await file.read(into: byte, at: Int64(index))
                            #expect(count == 1 && byte[0] == UInt8(index))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await readAll()
            let before = await runtime.statistics()
            try await readAll()
            let after = await runtime.statistics()
            try await file.close()
            return (
                after[0].ring.enterCalls - before[0].ring.enterCalls,
                after[0].operationsStarted - before[0].operationsStarted
            )
        }
    }

    @Test("on: at least one io_uring_enter per read; off: the 64 reads share enters")
    func eachStartEnters() async throws {
        let on = try await Self.entersAndStarts(submitsEachOperation: true)
        let off = try await Self.entersAndStarts(submitsEachOperation: false)
        print("submitsEachOperation on: \(on.enters) enters for \(on.started) operations; off: \(off.enters) for \(off.started)")
        #expect(on.started >= 64 && off.started >= 64)
        #expect(on.enters >= on.started, "an operation started without entering the kernel")
        #expect(off.enters < off.started / 2, "the default batches submissions")
    }
}
