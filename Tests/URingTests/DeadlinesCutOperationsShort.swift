import Glibc
import Testing
import URing

@Suite("Deadlines on operations", .requiresIOURing)
struct DeadlinesCutOperationsShort {
    @Test("a pipe read past its deadline throws deadlineExceeded; one with data returns it")
    func readPastDeadline() async throws {
        try await Self.readPastDeadline { _ in }
    }

    /// The test above on a runtime `configure` sets up (TheFallbackBackendRunsTheRuntimesAPI runs it on
    /// the fallback backend).
    static func readPastDeadline(_ configure: (inout URingRuntime.Configuration) -> Void) async throws {
        let pipe = try Pipe()
        try await withRuntime(configure) { _ in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let start = ContinuousClock.now
            await #expect(throws: URingError.deadlineExceeded) {
                try await URingRuntime.withTimeout(.milliseconds(30)) {
                    try await file.read(count: 8, at: 0)
                }
            }
            #expect(ContinuousClock.now - start >= .milliseconds(30))
            // The timed-out read is gone: data written now goes to the next read.
            #expect(try pipe.writeEnd.writeAll([7, 8]) == 2)
            let bytes = try await URingRuntime.withTimeout(.seconds(5)) { try await file.read(count: 8, at: 0) }
            #expect(bytes == [7, 8])
            try await file.close()
        }
    }

    @Test("a read that finishes before its deadline returns its bytes")
    func readBeforeDeadline() async throws {
        let scratch = try TemporaryFile(contents: [5, 6, 7])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            let bytes = try await URingRuntime.withTimeout(.seconds(5)) { try await file.read(count: 3, at: 0) }
            #expect(bytes == [5, 6, 7])
            try await file.close()
        }
    }

    @Test("a task created in a deadline's scope keeps the deadline after the scope has ended")
    func unstructuredTaskKeepsItsDeadline() async throws {
        let pipe = try Pipe()
        try await withRuntime { _ in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let (scopeEnded, signal) = AsyncStream<Void>.makeStream()
            // Task inherits the task-local deadline; the scope ends before it reads.
            let reader = await URingRuntime.withTimeout(.milliseconds(30)) {
                Task { () async throws -> [UInt8] in
                    for await _ in scopeEnded { break }
                    try await Task.sleep(for: .milliseconds(60))
                    return try await file.read(count: 8, at: 0)
                }
            }
            signal.yield()
            // A read that lost its deadline would wait for these bytes and return them.
            let writer = Task {
                try await Task.sleep(for: .seconds(2))
                _ = try pipe.writeEnd.writeAll([1, 2, 3])
            }
            await #expect(throws: URingError.deadlineExceeded) { try await reader.value }
            writer.cancel()
            try await file.close()
        }
    }
}
