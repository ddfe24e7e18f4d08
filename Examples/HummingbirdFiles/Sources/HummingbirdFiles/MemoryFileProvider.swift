// MemoryFileProvider: the ceiling for the comparison, not a real provider. It reads the
// root folder's regular files (not subfolders) once at start-up and answers from memory,
// so a request costs Hummingbird's HTTP work and NIO's socket writes and no file I/O at
// all. hummingbird-bench's `memory` variant: what any file provider could at best reach.

import FoundationEssentials
import Hummingbird
import NIOCore
import URing

struct MemoryFileProvider: FileProvider {
    struct FileAttributes: Sendable, FileMiddlewareFileAttributes {
        let isFolder: Bool
        let size: Int
        let modificationDate: Date
    }

    typealias FileIdentifier = String

    let files: [String: (attributes: FileAttributes, bytes: ByteBuffer)]

    /// Loads every regular file directly in `root`.
    static func load(root: String) async throws -> MemoryFileProvider {
        var files: [String: (attributes: FileAttributes, bytes: ByteBuffer)] = [:]
        for try await entry in URing.FileSystem.contentsOfDirectory(at: FilePath(root)) {
            guard entry.type == .regular else { continue }
            let path = root + "/" + entry.name.string
            let status = try await URing.FileSystem.status(of: FilePath(path))
            let bytes = try await URing.FileSystem.readAll(at: FilePath(path))
            let modified = Date(timeIntervalSince1970: Double(status.modificationTime.components.seconds))
            files["/" + entry.name.string] = (
                FileAttributes(isFolder: false, size: bytes.count, modificationDate: modified), ByteBuffer(bytes: bytes)
            )
        }
        return MemoryFileProvider(files: files)
    }

    func getFileIdentifier(_ path: String) -> String? { path }

    func getAttributes(id path: String) async throws -> FileAttributes? { files[path]?.attributes }

    func loadFile(id path: String, context: some RequestContext) async throws -> ResponseBody {
        guard let file = files[path] else { throw HTTPError(.notFound) }
        return ResponseBody(byteBuffer: file.bytes)
    }

    func loadFile(id path: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        guard let file = files[path] else { throw HTTPError(.notFound) }
        let wanted = range.clamped(to: 0...max(0, file.bytes.readableBytes - 1))
        return ResponseBody(byteBuffer: file.bytes.getSlice(at: wanted.lowerBound, length: wanted.count) ?? ByteBuffer())
    }
}
