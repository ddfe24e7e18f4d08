// Configuration.submission: with `.eachAtOnce` every single-shot operation enters the
// kernel as it starts (fio's pattern: one enter each); with `.directIOAtOnce` (the
// default) only reads and writes of O_DIRECT files do; with `.batched`, and for
// everything else, one io_uring_enter at the worker's next poll or park submits the
// whole batch.

import Dispatch
import Glibc
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

    @Test("an operation that enters at once reaches the kernel as it starts, not in its worker's park")
    func entersAsItStarts() async throws {
        let rounds = 32
        let pipe = try Pipe()
        let (enters, started) = try await withRuntime(workers: 1, { $0.submission = .eachAtOnce }) { runtime in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let task = Task(executorPreference: runtime.executor) { () -> (Int, Int) in
                let before = await runtime.statistics()
                for round in 0..<rounds {
                    // The byte arrives 5 ms after the read started, so the read cannot
                    // complete before its worker, with nothing else to run, parks.
                    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) {
                        _ = try? pipe.writeEnd.writeAll([UInt8(round)])
                    }
                    let bytes = try await file.read(count: 1, at: 0)
                    #expect(bytes == [UInt8(round)])
                }
                let after = await runtime.statistics()
                return (
                    after[0].ring.enterCalls - before[0].ring.enterCalls,
                    after[0].operationsStarted - before[0].operationsStarted
                )
            }
            let result = try await task.value
            try await file.close()
            return result
        }
        print("\(rounds) pipe reads one at a time, entering at once: \(enters) enters for \(started) operations")
        #expect(started >= rounds)
        // Each read enters to submit as it starts, and its worker enters again to wait.
        // Submitting in the park would carry both in one enter per read. A round whose
        // byte came before the submission (a worker descheduled for 5 ms) costs one: the
        // bound leaves room for a quarter of them.
        #expect(enters >= rounds * 7 / 4, "reads were submitted in the park, not as they started")
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
