import Glibc
import Dispatch
import Testing
@testable import URing
import URingExecutor

@Suite("Calls from threads that are not workers", .requiresIOURing)
struct CallsFromThreadsThatAreNotWorkersRunOnAWorkersRing {
    @Test("a call from the MainActor works")
    @MainActor
    func callFromMainActor() async throws {
        let runtime = try URingRuntime(.init(workers: 2))
        let scratch = try TemporaryFile(contents: [4, 2])
        // Other tests run runtimes in parallel: route this task's calls to its own.
        try await RuntimeRegistry.$preferred.withValue(runtime) {
            #expect(URingExecutor.currentWorkerIndex == nil)
            let file = try await File.open(scratch.path, .readOnly)
            #expect(try await file.read(count: 2, at: 0) == [4, 2])
            try await URingRuntime.sleep(for: .milliseconds(1))
            try await file.close()
        }
        await runtime.shutdown()
    }

    @Test("a call from a Dispatch queue works")
    func callFromDispatch() async throws {
        let runtime = try URingRuntime(.init(workers: 2))
        let scratch = try TemporaryFile(contents: [7])
        let path = scratch.path
        let bytes: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "swift-uring.test").async {
                Task {
                    await RuntimeRegistry.$preferred.withValue(runtime) {
                    do {
                        let file = try await File.open(path, .readOnly)
                        let bytes = try await file.read(count: 1, at: 0)
                        try await file.close()
                        continuation.resume(returning: bytes)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                    }
                }
            }
        }
        #expect(bytes == [7])
        await runtime.shutdown()
    }
}
