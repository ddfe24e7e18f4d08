// URingFileProvider: a Hummingbird FileProvider whose file I/O goes through swift-uring.
//
// Hummingbird keeps SwiftNIO for its sockets; this provider replaces only the file side
// (Hummingbird's own LocalFileSystem runs every stat, open, read and close on NIO's thread
// pool). Where the ring work runs is the `placement`:
// - `.runtimeWorker` (default): each provider call hops once onto a URing worker
//   (`withTaskExecutorPreference`), runs all of its operations there on that worker's own
//   ring (submitted in batches, no thread handoff per operation), and hops back.
// - `.callerThread`: the call stays where Hummingbird runs it; each operation is handed
//   to a worker's ring through its mailbox and the caller resumes when its CQE arrives.
// A file up to `wholeFileLimit` bytes is read into one ByteBuffer and answered as a single
// body (Hummingbird writes head and body at once); a larger one, or a range, streams in
// `chunkSize` chunks read on demand, and its file is closed on every path.

import FoundationEssentials
import Hummingbird
import NIOCore
import URing

/// Serves files below a root folder with their I/O on a `URingRuntime`.
public struct URingFileProvider: FileProvider {
    /// Where the provider's ring operations run; see the top of this file.
    public enum Placement: String, Sendable, CaseIterable {
        /// One hop onto a runtime worker per provider call; operations run on its ring.
        case runtimeWorker = "worker"
        /// No hop; every operation goes to a worker's ring through its mailbox.
        case callerThread = "caller"
    }

    /// What FileMiddleware needs to know about a file.
    public struct FileAttributes: Sendable, FileMiddlewareFileAttributes {
        public let isFolder: Bool
        public let size: Int
        public let modificationDate: Date
    }

    /// The file's path: the root folder joined with the request path.
    public typealias FileIdentifier = String

    let rootFolder: String
    let runtime: URingRuntime
    let placement: Placement
    let wholeFileLimit: Int
    let chunkSize: Int
    let allocator = ByteBufferAllocator()

    /// - Parameters:
    ///   - rootFolder: the folder whose files are served (FileMiddleware refuses `..`).
    ///   - runtime: the runtime whose rings do the file I/O; it must outlive the server.
    ///   - wholeFileLimit: files up to this size are answered from one buffer.
    ///   - chunkSize: the read size for larger files and ranges (Hummingbird's is 128 KiB).
    public init(
        rootFolder: String, runtime: URingRuntime, placement: Placement = .runtimeWorker,
        wholeFileLimit: Int = 128 * 1024, chunkSize: Int = 128 * 1024
    ) {
        self.rootFolder = rootFolder.hasSuffix("/") ? rootFolder : rootFolder + "/"
        self.runtime = runtime
        self.placement = placement
        self.wholeFileLimit = max(0, wholeFileLimit)
        self.chunkSize = max(1, chunkSize)
    }

    public func getFileIdentifier(_ path: String) -> String? {
        path.first == "/" ? rootFolder + path.dropFirst() : rootFolder + path
    }

    public func getAttributes(id path: String) async throws -> FileAttributes? {
        do {
            let status = try await placed { try await URing.FileSystem.status(of: FilePath(path)) }
            let modified = status.modificationTime.components
            return FileAttributes(
                isFolder: status.type == .directory,
                size: Int(status.size),
                modificationDate: Date(timeIntervalSince1970: Double(modified.seconds)))
        } catch {
            return nil
        }
    }

    public func loadFile(id path: String, context: some RequestContext) async throws -> ResponseBody {
        try await load(path, range: nil)
    }

    public func loadFile(id path: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        try await load(path, range: range)
    }

    // MARK: Loading

    /// Opens the file, learns its size, and either reads it whole (closing it at once) or
    /// returns a body that streams the range and closes the file when done or failed.
    func load(_ path: String, range: ClosedRange<Int>?) async throws -> ResponseBody {
        try await placed {
            let file: URing.File
            do {
                file = try await URing.File.open(FilePath(path), .readOnly)
            } catch {
                throw HTTPError(.notFound)
            }
            do {
                let size = Int(try await file.status().size)
                guard size > 0 else {
                    try await file.close()
                    return ResponseBody()
                }
                let wanted = (range ?? 0...(size - 1)).clamped(to: 0...(size - 1))
                if wanted.count <= wholeFileLimit {
                    var buffer = allocator.buffer(capacity: wanted.count)
                    while buffer.readableBytes < wanted.count {
                        let read = try await file.read(
                            into: &buffer, count: wanted.count - buffer.readableBytes,
                            at: Int64(wanted.lowerBound + buffer.readableBytes))
                        if read == 0 { break }
                    }
                    try await file.close()
                    return ResponseBody(byteBuffer: buffer)
                }
                return streamingBody(file, wanted)
            } catch {
                try? await file.close()
                throw error
            }
        }
    }

    /// A body that reads `range` of `file` chunk by chunk as Hummingbird writes it, then
    /// closes the file (also when writing fails or the connection goes away).
    func streamingBody(_ file: URing.File, _ range: ClosedRange<Int>) -> ResponseBody {
        let chunks: FileByteBufferChunks
        do {
            chunks = try file.readChunks(
                chunkSize: chunkSize, range: Int64(range.lowerBound)..<Int64(range.upperBound) + 1,
                allocator: allocator)
        } catch {
            preconditionFailure("chunkSize and range were checked: \(error)")
        }
        return ResponseBody(contentLength: range.count) { writer in
            do {
                for try await chunk in chunks {
                    try await writer.write(chunk)
                }
                try await file.close()
                try await writer.finish(nil)
            } catch {
                try? await file.close()
                throw error
            }
        }
    }

    /// Runs `body` where `placement` says: on a runtime worker, or right here.
    func placed<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        switch placement {
        case .runtimeWorker:
            return try await withTaskExecutorPreference(runtime.executor) { try await body() }
        case .callerThread:
            return try await body()
        }
    }
}
