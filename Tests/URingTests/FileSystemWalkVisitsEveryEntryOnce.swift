// FileSystem.walk: every entry below the root exactly once, directories descended,
// symbolic links visited but never followed (a link to an ancestor would loop), bad
// arguments and unreadable roots as typed errors, and the first error from `visit` ends
// the walk.

import Foundation
import Testing
import URing

@Suite("FileSystem.walk visits every entry once", .requiresIOURing)
struct FileSystemWalkVisitsEveryEntryOnce {
    /// A tree of 3 levels, 4 directories and 3 files per directory, plus two links.
    private static func makeTree(in root: FilePath) throws -> Set<String> {
        var expected: Set<String> = []
        func fill(_ directory: String, depth: Int) throws {
            for file in 0..<3 {
                let relative = "\(directory)f\(file)"
                guard FileManager.default.createFile(atPath: root.string + "/" + relative, contents: Data([UInt8(file)])) else {
                    throw CocoaError(.fileWriteUnknown)
                }
                expected.insert(relative)
            }
            guard depth < 3 else { return }
            for sub in 0..<4 {
                let relative = "\(directory)d\(sub)"
                try FileManager.default.createDirectory(atPath: root.string + "/" + relative, withIntermediateDirectories: false)
                expected.insert(relative)
                try fill(relative + "/", depth: depth + 1)
            }
        }
        try fill("", depth: 1)
        // A link back to the root (following it would loop) and one to a file.
        try FileManager.default.createSymbolicLink(atPath: root.string + "/d0/up", withDestinationPath: root.string)
        try FileManager.default.createSymbolicLink(atPath: root.string + "/d1/file-link", withDestinationPath: "../f0")
        expected.insert("d0/up")
        expected.insert("d1/file-link")
        return expected
    }

    @Test("a 3-level tree with a link to its own root: each entry once, with its type, links not followed")
    func visitsEachEntryOnce() async throws {
        let directory = try TemporaryDirectory()
        let expected = try Self.makeTree(in: directory.path)
        let root = directory.path
        let seen = Shared<[String: Int]>([:])
        let types = Shared<[String: FileStatus.FileType]>([:])
        try await withRuntime { runtime in
            try await Task(executorPreference: runtime.executor) {
                try await FileSystem.walk(at: root, maximumConcurrency: 3) { path, entry in
                    let relative = String(path.string.dropFirst(root.string.count + 1))
                    seen.update { $0[relative, default: 0] += 1 }
                    types.update { $0[relative] = entry.type }
                }
            }.value
        }
        let visits = seen.value
        #expect(Set(visits.keys) == expected)
        #expect(visits.values.allSatisfy { $0 == 1 })
        let kinds = types.value
        #expect(kinds["d0/up"] == .symbolicLink)
        #expect(kinds["d2/d1"] == .directory)
        #expect(kinds["d3/d3/f2"] == .regular)
    }

    @Test("bad input and unreadable roots are typed errors; the first error from visit ends the walk")
    func errorsAreTyped() async throws {
        let directory = try TemporaryDirectory()
        _ = try Self.makeTree(in: directory.path)
        let root = directory.path
        try await withRuntime { runtime in
            try await Task(executorPreference: runtime.executor) {
                await #expect(throws: URingError.self) {
                    try await FileSystem.walk(at: root, maximumConcurrency: 0) { _, _ in }
                }
                let missing = root.appending("missing")
                do {
                    try await FileSystem.walk(at: missing) { _, _ in }
                    Issue.record("walking a missing directory succeeded")
                } catch let error as PathError {
                    #expect(error.path == missing)
                    #expect(error.errno == .noSuchFileOrDirectory)
                }
                struct Stop: Error {}
                let visits = Shared(0)
                await #expect(throws: Stop.self) {
                    try await FileSystem.walk(at: root, maximumConcurrency: 1) { _, _ in
                        if visits.update({ $0 += 1; return $0 }) == 5 { throw Stop() }
                    }
                }
                #expect(visits.value == 5)
            }.value
        }
    }
}
