// Configuration.submission: with `.eachAtOnce` every single-shot operation enters the
// kernel before its worker runs another job (fio's pattern: one enter each); with
// `.directIOAtOnce` (the default) only reads and writes of O_DIRECT files do; with
// `.batched`, and for everything else, one io_uring_enter at the worker's next poll or
// park submits the whole batch. A worker with nothing else to run submits and waits in
// one enter.

import Testing
import URing

@Suite("Configuration.submission decides when operations enter the kernel", .requiresIOURingBackend)
struct SubmissionPolicyDecidesWhenOperationsEnter {
    /// 64 concurrent 4 KiB reads on one worker, twice; the io_uring_enter calls and the
    /// operations started during the second round. nil when `direct` and the file
    /// system refuses O_DIRECT (the reason is printed).
    static func entersAndStarts(
        _ submission: URingRuntime.Submission, direct: Bool
    ) async throws -> (enters: Int, started: Int)? {
        let reads = 64, size = 4_096
        let scratch = try TemporaryFile(contents: (0..<reads * size).map { UInt8(truncatingIfNeeded: $0 / size) })
        let aligned = try AlignedBuffer(byteCount: reads * size)
        defer { withExtendedLifetime(aligned) {} }
        let storage = TestBuffer(bytes: aligned.bytes)
        return try await withRuntime(workers: 1, { $0.submission = submission }) { runtime in
            let file: File
            do {
                file = try await File.open(scratch.path, .readOnly, options: direct ? [.direct] : [])
            } catch let error as PathError where direct && error.errno == .invalidArgument {
                print("skipped the O_DIRECT case: \(scratch.path) is on a file system without O_DIRECT (EINVAL at open)")
                return nil
            }
            func readAll() async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<reads {
                        group.addTask {
                            let block = UnsafeMutableRawBufferPointer(
                                rebasing: storage.bytes[index * size..<(index + 1) * size])
                            let count = try await file.read(into: block, at: Int64(index * size))
                            #expect(count == size && block[0] == UInt8(index) && block[size - 1] == UInt8(index))
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

    static func expectEntersAtOnce(_ result: (enters: Int, started: Int)?, _ label: String) {
        guard let result else { return }
        print("\(label): \(result.enters) enters for \(result.started) operations")
        #expect(result.started >= 64)
        #expect(result.enters >= result.started, "\(label): an operation started without entering the kernel")
    }

    static func expectBatched(_ result: (enters: Int, started: Int)?, _ label: String) {
        guard let result else { return }
        print("\(label): \(result.enters) enters for \(result.started) operations")
        #expect(result.started >= 64)
        #expect(result.enters < result.started / 2, "\(label): the submissions were not batched")
    }

    @Test("the default enters as each O_DIRECT read starts, and batches cached reads")
    func defaultPolicy() async throws {
        #expect(URingRuntime.Configuration().submission == .directIOAtOnce)
        Self.expectEntersAtOnce(try await Self.entersAndStarts(.directIOAtOnce, direct: true), "default, O_DIRECT")
        Self.expectBatched(try await Self.entersAndStarts(.directIOAtOnce, direct: false), "default, cached")
    }

    @Test("one O_DIRECT read at a time costs one enter: the park submits it and waits in one call")
    func directReadsOneAtATime() async throws {
        let reads = 64, size = 4_096
        let scratch = try TemporaryFile(contents: (0..<reads * size).map { UInt8(truncatingIfNeeded: $0 / size) })
        let aligned = try AlignedBuffer(byteCount: size)
        defer { withExtendedLifetime(aligned) {} }
        let block = TestBuffer(bytes: aligned.bytes)
        let result = try await withRuntime(workers: 1) { runtime -> (enters: Int, started: Int)? in
            let file: File
            do {
                file = try await File.open(scratch.path, .readOnly, options: [.direct])
            } catch let error as PathError where error.errno == .invalidArgument {
                print("skipped: \(scratch.path) is on a file system without O_DIRECT (EINVAL at open)")
                return nil
            }
            let before = await runtime.statistics()
            for index in 0..<reads {
                let count = try await file.read(into: block.bytes, at: Int64(index * size))
                #expect(count == size && block.bytes[0] == UInt8(index))
            }
            let after = await runtime.statistics()
            try await file.close()
            return (after[0].ring.enterCalls - before[0].ring.enterCalls, after[0].operationsStarted - before[0].operationsStarted)
        }
        guard let result else { return }
        print("O_DIRECT, one at a time: \(result.enters) enters for \(result.started) operations")
        #expect(result.started >= reads)
        // One enter per read, plus a few for the statistics requests; entering as the read
        // starts and again to wait would make it two per read.
        #expect(result.enters < result.started * 5 / 4, "a read entered to submit and again to wait")
    }

    @Test(".eachAtOnce enters as each read starts, cached too")
    func eachAtOnce() async throws {
        Self.expectEntersAtOnce(try await Self.entersAndStarts(.eachAtOnce, direct: false), "each, cached")
    }

    @Test(".batched shares enters, O_DIRECT too")
    func batched() async throws {
        Self.expectBatched(try await Self.entersAndStarts(.batched, direct: true), "batched, O_DIRECT")
        Self.expectBatched(try await Self.entersAndStarts(.batched, direct: false), "batched, cached")
    }

    @Test("SWIFT_URING_SUBMIT names each policy by its description")
    func names() {
        #expect(URingRuntime.Submission.allCases.map(\.description) == ["batched", "direct", "each"])
        #expect(URingRuntime.Submission(rawValue: "direct") == .directIOAtOnce)
        #expect(URingRuntime.Submission(rawValue: "sometimes") == nil)
    }
}
