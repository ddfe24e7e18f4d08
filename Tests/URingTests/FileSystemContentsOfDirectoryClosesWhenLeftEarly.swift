import Glibc
import Testing
import URing

@Suite("contentsOfDirectory closes the directory when the iteration is left early", .requiresIOURing)
struct FileSystemContentsOfDirectoryClosesWhenLeftEarly {
    static func makeDirectory(entries: Int) throws -> TemporaryDirectory {
        let scratch = try TemporaryDirectory()
        for index in 0..<entries {
            close(open(scratch.appending("entry-\(index)-" + String(repeating: "n", count: 40)).string, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600))
        }
        return scratch
    }

    @Test("a loop that breaks after the first entry leaves the directory closed")
    func breakCloses() async throws {
        let scratch = try Self.makeDirectory(entries: 1_500)
        let (first, openWhileIterating) = try await withRuntime { _ in
            var first: DirectoryEntry?
            var openWhileIterating = 0
            for try await entry in FileSystem.contentsOfDirectory(at: scratch.path) {
                first = entry
                openWhileIterating = openDescriptorCount(on: scratch.path)
                break
            }
            return (first, openWhileIterating)
        }
        #expect(first != nil)
        #expect(openWhileIterating == 1)
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }

    @Test("a task cancelled while iterating gets CancellationError at the next batch, and the directory is closed")
    func cancelledTaskCloses() async throws {
        let scratch = try Self.makeDirectory(entries: 1_500)
        let seen = try await withRuntime { runtime in
            let lister = Task(executorPreference: runtime.executor) {
                var seen = 0
                do {
                    for try await _ in FileSystem.contentsOfDirectory(at: scratch.path) {
                        seen += 1
                        if seen == 1 { withUnsafeCurrentTask { $0?.cancel() } }
                    }
                } catch is CancellationError {
                    return seen
                }
                return -seen
            }
            return try await lister.value
        }
        #expect(seen > 0)
        #expect(seen < 1_500)
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }
}
