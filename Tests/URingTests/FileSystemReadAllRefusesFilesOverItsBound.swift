import Glibc
import Testing
import URing

@Suite("readAll refuses a file larger than its bound with a PathError naming the path", .requiresIOURing)
struct FileSystemReadAllRefusesFilesOverItsBound {
    @Test("readAll of /dev/zero stops at the bound, throws fileTooLarge naming /dev/zero, and closes what it opened")
    func endlessFileIsRefused() async throws {
        let before = openDescriptorCount(on: "/dev/zero")
        let thrown = try await withRuntime { _ in
            await #expect(throws: PathError.self) { try await FileSystem.readAll(at: "/dev/zero", maximumSize: 1 << 20) }
        }
        #expect(thrown == PathError(path: "/dev/zero", reason: .fileTooLarge(maximumSize: 1 << 20)))
        #expect(thrown?.errno == .fileTooLarge)
        #expect("\(thrown.map { "\($0)" } ?? "")".hasPrefix("/dev/zero: "))
        #expect(openDescriptorCount(on: "/dev/zero") == before)
    }

    @Test("a file one byte over the default bound is refused, and one at a given bound is returned whole")
    func boundIsInclusive() async throws {
        let scratch = try TemporaryFile()
        // Sparse: statx reports the size without a byte written.
        try scratch.descriptor.resize(to: Int64(FileSystem.defaultMaximumReadSize) + 1)
        let small = try TemporaryFile(contents: [1, 2, 3, 4])
        let (refused, whole, overByOne) = try await withRuntime { _ in
            (
                await #expect(throws: PathError.self) { try await FileSystem.readAll(at: scratch.path) },
                try await FileSystem.readAll(at: small.path, maximumSize: 4),
                await #expect(throws: PathError.self) { try await FileSystem.readAll(at: small.path, maximumSize: 3) }
            )
        }
        #expect(FileSystem.defaultMaximumReadSize == 64 << 20)
        #expect(refused == PathError(path: scratch.path, reason: .fileTooLarge(maximumSize: 64 << 20)))
        #expect(whole == [1, 2, 3, 4])
        #expect(overByOne == PathError(path: small.path, reason: .fileTooLarge(maximumSize: 3)))
        #expect(openDescriptorCount(on: scratch.path) == 1)
        #expect(openDescriptorCount(on: small.path) == 1)
    }

    @Test("a negative maximumSize is an invalid argument naming the path")
    func negativeBound() async throws {
        _ = try await withRuntime { _ in
            await #expect(throws: URingError.invalidArgument("maximumSize must not be negative, got -1, for /etc/hostname")) {
                try await FileSystem.readAll(at: "/etc/hostname", maximumSize: -1)
            }
        }
    }
}
