import Glibc
import Testing
import URing

@Suite("FileSystem closes what it opened when its task is cancelled", .requiresIOURing)
struct FileSystemClosesWhatItOpenedWhenCancelled {
    @Test("a readAll cancelled while waiting on an empty pipe throws CancellationError and closes the pipe it opened")
    func cancelledReadAllCloses() async throws {
        let pipe = try Pipe()
        // /proc/self/fd/N opens the pipe again: a new descriptor readAll owns.
        let path = FilePath("/proc/self/fd/\(pipe.readEnd.rawValue)")
        let target = FilePath(try Self.linkTarget(path))
        let before = openDescriptorCount(on: target)
        #expect(before == 2)
        let after = try await withRuntime { runtime in
            let reader = Task(executorPreference: runtime.executor) { try await FileSystem.readAll(path) }
            while openDescriptorCount(on: target) == before { await Task.yield() }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            return openDescriptorCount(on: target)
        }
        #expect(after == before)
    }

    static func linkTarget(_ path: FilePath) throws -> String {
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink(path.string, &target, target.count - 1)
        guard length > 0 else { throw Errno(rawValue: errno) }
        return String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
