import Glibc
import Testing
import URing

@Suite("Closing files", .requiresIOURing)
struct ClosingAFileWaitsForItsCallsAndRefusesLaterOnes {
    @Test("close() in an already cancelled task still closes the descriptor")
    func closeWhenCancelled() async throws {
        let scratch = try TemporaryFile(contents: [1])
        try await withRuntime { runtime in
            let file = try await File.open(scratch.path, .readOnly)
            #expect(openDescriptorCount(on: scratch.path) == 2)
            let closer = Task(executorPreference: runtime.executor) {
                withUnsafeCurrentTask { $0?.cancel() }
                try await file.close()
            }
            try await closer.value
            #expect(file.isClosed)
            #expect(openDescriptorCount(on: scratch.path) == 1)
        }
    }

    @Test("close() under a deadline that already passed still closes the descriptor")
    func closeAfterDeadline() async throws {
        let scratch = try TemporaryFile(contents: [1])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            #expect(openDescriptorCount(on: scratch.path) == 2)
            try await URingRuntime.withDeadline(ContinuousClock.now - .seconds(1)) {
                try await file.close()
            }
            #expect(file.isClosed)
            #expect(openDescriptorCount(on: scratch.path) == 1)
        }
    }

    @Test("close() waits for the calls in flight and refuses new ones")
    func closeWaitsForInFlight() async throws {
        let pipe = try Pipe()
        try await withRuntime { runtime in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let reader = Task(executorPreference: runtime.executor) { try await file.read(count: 4, at: 0) }
            try await URingRuntime.sleep(for: .milliseconds(10))
            let closer = Task(executorPreference: runtime.executor) { try await file.close() }
            try await URingRuntime.sleep(for: .milliseconds(10))
            await #expect(throws: URingError.closed) { try await file.read(count: 1, at: 0) }
            #expect(try pipe.writeEnd.writeAll([1, 2, 3, 4]) == 4)
            #expect(try await reader.value == [1, 2, 3, 4])
            try await closer.value
        }
    }
}
