import Glibc
import Testing
import URing

@Suite("Cancelling operations", .requiresIOURing)
struct CancellingATaskCancelsItsOperation {
    @Test("cancelling a pending pipe read throws CancellationError and leaves the buffer untouched")
    func cancelPendingRead() async throws {
        try await Self.cancelPendingRead { _ in }
    }

    /// The test above on a runtime `configure` sets up (TheFallbackBackendRunsTheRuntimesAPI runs it on
    /// the fallback backend).
    static func cancelPendingRead(_ configure: (inout URingRuntime.Configuration) -> Void) async throws {
        let pipe = try Pipe()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        let shared = TestBuffer(bytes: buffer)
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAB)
        try await withRuntime(configure) { runtime in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let reader = Task(executorPreference: runtime.executor) {
                try await file.read(into: shared.bytes, at: 0)
            }
            try await URingRuntime.sleep(for: .milliseconds(20))
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            // The read is over for the kernel too: data written now must not land in the buffer.
            #expect(try pipe.writeEnd.writeAll([1, 2, 3]) == 3)
            try await URingRuntime.sleep(for: .milliseconds(20))
            #expect(shared.bytes.allSatisfy { $0 == 0xAB })
            try await file.close()
        }
    }

    @Test("a task cancelled before it calls gets CancellationError without a submission")
    func cancelledBeforeCall() async throws {
        try await withRuntime { runtime in
            let task = Task(executorPreference: runtime.executor) {
                withUnsafeCurrentTask { $0?.cancel() }
                try await URingRuntime.nop()
            }
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    @Test("a task cancelled before it reads or writes a regular file gets CancellationError, and nothing moves")
    func cancelledBeforeFileCalls() async throws {
        // Regular files take the path without a cancel handler (performPromptly): its own
        // check is all that keeps a cancelled task from starting the I/O.
        let scratch = try TemporaryFile(contents: [1, 2, 3, 4])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAB)
        let shared = TestBuffer(bytes: buffer)
        try await withRuntime { runtime in
            let file = try await File.open(scratch.path, .readWrite)
            let reader = Task(executorPreference: runtime.executor) {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await file.read(into: shared.bytes, at: 0)
            }
            await #expect(throws: CancellationError.self) { try await reader.value }
            #expect(shared.bytes.allSatisfy { $0 == 0xAB })
            let writer = Task(executorPreference: runtime.executor) {
                withUnsafeCurrentTask { $0?.cancel() }
                try await file.write([9, 9], at: 0)
            }
            await #expect(throws: CancellationError.self) { try await writer.value }
            // The same calls in a task that is not cancelled do move bytes.
            let read = try await Task(executorPreference: runtime.executor) {
                try await file.read(into: shared.bytes, at: 0)
            }.value
            #expect(read == 4)
            try await file.close()
        }
        #expect(try scratch.contents() == [1, 2, 3, 4])
        #expect(Array(buffer) == [1, 2, 3, 4])
    }

    @Test("1,000 opens cancelled right after they complete leak no descriptor")
    func cancelledOpensLeakNothing() async throws {
        let scratch = try TemporaryFile(contents: [1])
        let before = openDescriptorCount(on: scratch.path)
        #expect(before == 1)
        try await withRuntime { runtime in
            for round in 0..<1_000 {
                let opener = Task(executorPreference: runtime.executor) { try await File.open(scratch.path, .readOnly) }
                if round % 2 == 0 { await Task.yield() }
                opener.cancel()
                if let file = try? await opener.value { try await file.close() }
            }
        }
        #expect(openDescriptorCount(on: scratch.path) == before)
    }
}
