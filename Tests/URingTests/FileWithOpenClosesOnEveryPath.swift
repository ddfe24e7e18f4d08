import Glibc
import Testing
import URing

@Suite("File.withOpen closes the file on every path", .requiresIOURing)
struct FileWithOpenClosesOnEveryPath {
    struct BodyFailed: Error, Equatable {}

    @Test("withOpen returns the body's result and closes the file after it returns, throws, or closes it itself")
    func returnsAndThrows() async throws {
        let scratch = try TemporaryFile(contents: [7, 8, 9])
        // The files the bodies saw, held past withOpen so only its close can end them.
        let seen = Shared<[File]>([])
        let (bytes, wasOpenInside) = try await withRuntime { _ in
            let result = try await File.withOpen(scratch.path, .readOnly) { file in
                seen.update { $0.append(file) }
                return (try await file.read(count: 3, at: 0), openDescriptorCount(on: scratch.path))
            }
            await #expect(throws: BodyFailed()) {
                try await File.withOpen(scratch.path, .readOnly) { file in
                    seen.update { $0.append(file) }
                    throw BodyFailed()
                }
            }
            try await File.withOpen(scratch.path, .readOnly) { file in
                seen.update { $0.append(file) }
                try await file.close()
            }
            return result
        }
        #expect(bytes == [7, 8, 9])
        #expect(wasOpenInside == 2)
        #expect(seen.value.count == 3)
        #expect(seen.value.map(\.isClosed) == [true, true, true])
        #expect(openDescriptorCount(on: scratch.path) == 1)
    }

    @Test("withOpen whose body waits on an empty pipe throws CancellationError when cancelled and closes the pipe")
    func cancelled() async throws {
        let pipe = try Pipe()
        // /proc/self/fd/N opens the pipe again: a new descriptor withOpen owns.
        let path = FilePath("/proc/self/fd/\(pipe.readEnd.rawValue)")
        let target = FilePath(descriptorTarget(pipe.readEnd.rawValue))
        let before = openDescriptorCount(on: target)
        let seen = Shared<File?>(nil)
        let after = try await withRuntime { runtime in
            let reader = Task(executorPreference: runtime.executor) {
                try await File.withOpen(path, .readOnly) { file in
                    seen.update { $0 = file }
                    return try await file.read(count: 1, at: 0)
                }
            }
            // Wait for the body to run: a cancel before that would end the open instead.
            while seen.value == nil { await Task.yield() }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            return openDescriptorCount(on: target)
        }
        #expect(seen.value?.isClosed == true)
        #expect(after == before)
    }
}
