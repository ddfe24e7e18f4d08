import Glibc
import Testing
import URing

@Suite("Deadlines on operations", .requiresIOURing)
struct DeadlineTests {
    @Test("a read that outlives its deadline throws deadlineExceeded")
    func readPastDeadline() async throws {
        let pipe = try Pipe()
        try await withRuntime { _ in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let start = ContinuousClock.now
            await #expect(throws: URingError.deadlineExceeded) {
                try await URingRuntime.withTimeout(.milliseconds(30)) {
                    try await file.read(count: 8, at: 0)
                }
            }
            #expect(ContinuousClock.now - start >= .milliseconds(30))
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
}
