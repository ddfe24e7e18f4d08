// URingFileProvider answers every request FileMiddleware makes of it as Hummingbird's own
// LocalFileSystem does: the same status, bytes and range headers for whole files (1 KiB,
// 64 KiB, and 300 KiB, which streams in chunks), byte ranges, empty files and missing
// files. Both serve the same folder from two servers in this process; a small HTTP/1.1
// client over swift-uring's TCPStream fetches each path from both.

import Glibc
import Hummingbird
import Logging
import Testing
import URing
import URingFileProvider

// Serialized: the client's calls (and the `.callerThread` provider's) come from threads that
// own no ring, so they go to the newest runtime alive; run side by side, one case's calls
// could land on the other's runtime while it shuts down (URingError.shutdown, seen once in CI).
@Suite("URingFileProvider serves what LocalFileSystem serves", .serialized)
struct URingFileProviderServesWhatLocalFileSystemServes {
    @Test("whole files, ranges, empty and missing files get the same answers from both providers",
          arguments: URingFileProvider.Placement.allCases)
    func sameAnswers(placement: URingFileProvider.Placement) async throws {
        let files: [String: [UInt8]] = [
            "one-kib.bin": pattern(1024, seed: 1),
            "sixty-four-kib.bin": pattern(64 * 1024, seed: 2),
            "large.bin": pattern(300 * 1024, seed: 3),
            "empty.txt": [],
        ]
        let root = try makeFolder(files)
        defer { removeFolder(root, files.keys) }
        let runtime = try URingRuntime(URingRuntime.Configuration(workers: 2))
        let requests: [(path: String, range: String?)] = [
            ("/one-kib.bin", nil), ("/sixty-four-kib.bin", nil), ("/large.bin", nil), ("/empty.txt", nil),
            ("/one-kib.bin", "bytes=10-99"), ("/sixty-four-kib.bin", "bytes=60000-"),
            ("/sixty-four-kib.bin", "bytes=-100"), ("/large.bin", "bytes=1000-200000"),
            ("/one-kib.bin", "bytes=1000-5000"), ("/missing.bin", nil), ("/missing.bin", "bytes=0-1"),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            let uringPort = try await serve(
                FileMiddleware(fileProvider: URingFileProvider(rootFolder: root, runtime: runtime, placement: placement)),
                in: &group)
            var quiet = Logger(label: "LocalFileSystem")
            quiet.logLevel = .error
            let localPort = try await serve(FileMiddleware(root, logger: quiet), in: &group)
            for request in requests {
                let fromURing = try await fetch(request.path, range: request.range, port: uringPort)
                let fromLocal = try await fetch(request.path, range: request.range, port: localPort)
                #expect(fromURing.status == fromLocal.status, "\(request)")
                #expect(fromURing.body == fromLocal.body, "\(request)")
                for header in ["content-length", "content-range", "content-type", "accept-ranges"] {
                    #expect(fromURing.headers[header] == fromLocal.headers[header], "\(header) of \(request)")
                }
            }
            let whole = try await fetch("/sixty-four-kib.bin", range: nil, port: uringPort)
            #expect(whole.status == 200 && whole.body == pattern(64 * 1024, seed: 2))
            let part = try await fetch("/large.bin", range: "bytes=1000-200000", port: uringPort)
            #expect(part.status == 206 && part.body == Array(pattern(300 * 1024, seed: 3)[1000...200_000]))
            #expect(try await fetch("/missing.bin", range: nil, port: uringPort).status == 404)
            group.cancelAll()
        }
        await runtime.shutdown()
    }
}

// MARK: Servers and a client

/// Starts an Application with `middleware` on a free loopback port in `group`; returns the port.
func serve(
    _ middleware: some RouterMiddleware<BasicRequestContext>, in group: inout ThrowingTaskGroup<Void, any Error>
) async throws -> Int {
    let router = Router()
    router.middlewares.add(middleware)
    var logger = Logger(label: "URingFileProviderTests")
    logger.logLevel = .critical  // cancelling the server at the end logs errors that say nothing
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? -1) }, logger: logger)
    group.addTask { try await app.run() }
    for await port in ports { return port }
    throw CancellationError()
}

struct HTTPAnswer {
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
}

/// GET `path` (with a Range header when given) on a fresh connection; reads to EOF.
func fetch(_ path: String, range: String?, port: Int) async throws -> HTTPAnswer {
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if let range { request += "Range: \(range)\r\n" }
    request += "\r\n"
    let stream = try await TCPStream.connect(to: .ipv4Loopback(port: port))
    try await stream.send(Array(request.utf8))
    var bytes: [UInt8] = []
    while true {
        let chunk = try await stream.receive(maxCount: 65536)
        if chunk.isEmpty { break }
        bytes += chunk
    }
    try await stream.close()
    guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: [13, 10, 13, 10]) }) else {
        throw HTTPAnswerError(description: "no end of head in \(bytes.count) bytes")
    }
    var answer = HTTPAnswer()
    let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n")
    answer.status = lines.first.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        answer.headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
    }
    answer.body = Array(bytes[(end + 4)...])
    return answer
}

struct HTTPAnswerError: Error, CustomStringConvertible {
    let description: String
}

// MARK: Files

func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ Int(seed) &* 17 &+ ($0 >> 8)) }
}

/// A new folder under /tmp holding `files`.
func makeFolder(_ files: [String: [UInt8]]) throws -> String {
    var template = Array("/tmp/urfp-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw Errno(rawValue: errno) }
    let folder = String(cString: made)
    for (name, bytes) in files {
        let descriptor = try FileDescriptor.open(
            FilePath(folder + "/" + name), .writeOnly, options: [.create], permissions: [.ownerReadWrite])
        defer { try? descriptor.close() }
        _ = try descriptor.writeAll(bytes)
    }
    return folder
}

/// Removes `folder` and the files `makeFolder` put in it.
func removeFolder(_ folder: String, _ names: some Sequence<String>) {
    for name in names { unlink(folder + "/" + name) }
    rmdir(folder)
}
