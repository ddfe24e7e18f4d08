// Configuration.submission: with `.eachAtOnce` every single-shot operation enters the
// kernel as it starts (fio's pattern: one enter each); with `.directIOAtOnce` (the
// default) only reads and writes of O_DIRECT files do; with `.batched`, and for
// everything else, one io_uring_enter at the worker's next poll or park submits the
// whole batch.

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

    @Test("an operation that enters at once is in the kernel before its worker next polls or parks")
    func entersAsItStarts() async throws {
        let rounds = 32
        let pipe = try Pipe()
        let snapshots = try await withRuntime(workers: 1, { $0.submission = .eachAtOnce }) { runtime in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let task = Task(executorPreference: runtime.executor) { () -> [DriverStatistics] in
                var snapshots: [DriverStatistics] = []
                for round in 0..<rounds {
                    let reader = Task(executorPreference: runtime.executor) { try await file.read(count: 1, at: 0) }
                    // The worker reads its counters at its next poll or park, before that
                    // enters the kernel; the reader runs first, as soon as this task
                    // suspends. Its byte is written only afterwards, so it is still in flight.
                    snapshots += await runtime.statistics()
                    try pipe.writeEnd.writeAll([UInt8(round)])
                    #expect(try await reader.value == [UInt8(round)])
                }
                return snapshots
            }
            let result = try await task.value
            try await file.close()
            return result
        }
        // A snapshot without the read in flight was taken before it started: it shows nothing.
        let readInFlight = snapshots.filter { $0.operationsInFlight == 1 }
        let queued = readInFlight.filter { $0.ring.pendingSubmissions > 0 }.count
        print("\(rounds) pipe reads entering at once: \(readInFlight.count) seen in flight before the worker's next enter, \(queued) of them still queued")
        #expect(readInFlight.count >= rounds / 2, "the counters were read before the reads started")
        #expect(queued == 0, "reads waited in the submission queue for their worker's next enter")
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
