import Glibc
import Dispatch
import Testing
import URing

@Suite("Calls from threads that are not workers", .requiresIOURing)
struct RemoteCallerTests {
    @Test("a call from the MainActor works")
    @MainActor
    func callFromMainActor() async throws {
        let runtime = try URingRuntime(.init(workers: 2))
        defer { runtime.shutdown() }
        let scratch = try TemporaryFile(contents: [4, 2])
        let file = try await File.open(scratch.path, .readOnly)
        #expect(try await file.read(count: 2, at: 0) == [4, 2])
        try await URingRuntime.sleep(for: .milliseconds(1))
        try await file.close()
    }

    @Test("a call from a Dispatch queue works")
    func callFromDispatch() async throws {
        let runtime = try URingRuntime(.init(workers: 2))
        defer { runtime.shutdown() }
        let scratch = try TemporaryFile(contents: [7])
        let path = scratch.path
        let bytes: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "swift-uring.test").async {
                Task {
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
        #expect(bytes == [7])
    }
}
