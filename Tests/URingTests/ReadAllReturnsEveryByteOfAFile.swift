import Glibc
import Testing
import URing

@Suite("readAll returns every byte of a file", .requiresIOURing)
struct ReadAllReturnsEveryByteOfAFile {
    @Test("readAll of a 3 MiB file returns it byte for byte")
    func readLargeFile() async throws {
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let scratch = try TemporaryFile(contents: payload)
        let back = try await withRuntime { _ in try await FileSystem.readAll(scratch.path) }
        #expect(back.count == payload.count)
        #expect(back == payload)
        #expect(openDescriptorCount(on: scratch.path) == 1)
    }

    @Test("readAll of /proc/self/status, whose statx size is 0, returns its text")
    func readProcFile() async throws {
        let (size, bytes) = try await withRuntime { _ in
            (
                try await FileSystem.status(of: "/proc/self/status").size,
                try await FileSystem.readAll("/proc/self/status")
            )
        }
        #expect(size == 0)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("Name:"))
        #expect(text.contains("\nPid:\t\(getpid())\n"))
        #expect(text.hasSuffix("\n"))
    }

    @Test("readAll of an empty file returns no bytes")
    func readEmptyFile() async throws {
        let scratch = try TemporaryFile()
        #expect(try await withRuntime { _ in try await FileSystem.readAll(scratch.path) } == [])
    }

    @Test("readAll of a missing file is ENOENT and of a directory EISDIR, leaving no descriptor open")
    func readAllFailures() async throws {
        let scratch = try TemporaryDirectory()
        _ = try await withRuntime { _ in
            await #expect(throws: PathError(path: scratch.appending("missing"), systemCall: "openat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.readAll(scratch.appending("missing"))
            }
            await #expect(throws: PathError(path: scratch.path, systemCall: "read", errno: .isDirectory)) {
                try await FileSystem.readAll(scratch.path)
            }
        }
        #expect(openDescriptorCount(on: scratch.path) == 0)
    }
}
