import Glibc
import Testing
import URing

@Suite("File.withOpen closes the file on every path", .requiresIOURing)
struct FileWithOpenClosesOnEveryPathTests {
    struct BodyFailed: Error, Equatable {}

    @Test("withOpen returns the body's result and closes the file after it returns, throws, or closes it itself")
    func returnsAndThrows() async throws {
        let scratch = try TemporaryFile(contents: [7, 8, 9])
        let (bytes, wasOpenInside) = try await withRuntime { _ in
            let result = try await File.withOpen(scratch.path, .readOnly) { file in
                (try await file.read(count: 3, at: 0), openDescriptorCount(on: scratch.path))
            }
            await #expect(throws: BodyFailed()) {
                try await File.withOpen(scratch.path, .readOnly) { _ in throw BodyFailed() }
            }
            try await File.withOpen(scratch.path, .readOnly) { file in try await file.close() }
            return result
        }
        #expect(bytes == [7, 8, 9])
        #expect(wasOpenInside == 2)
        #expect(openDescriptorCount(on: scratch.path) == 1)
    }

    @Test("withOpen whose body waits on an empty pipe throws CancellationError when cancelled and closes the pipe")
    func cancelled() async throws {
        let pipe = try Pipe()
        // /proc/self/fd/N opens the pipe again: a new descriptor withOpen owns.
        let path = FilePath("/proc/self/fd/\(pipe.readEnd.rawValue)")
        let target = FilePath(descriptorTarget(pipe.readEnd.rawValue))
        let before = openDescriptorCount(on: target)
        let after = try await withRuntime { runtime in
            let reader = Task(executorPreference: runtime.executor) {
                try await File.withOpen(path, .readOnly) { file in try await file.read(count: 1, at: 0) }
            }
            while openDescriptorCount(on: target) == before { await Task.yield() }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            return openDescriptorCount(on: target)
        }
        #expect(after == before)
    }
}
