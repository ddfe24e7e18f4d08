// HTTPConnection: serves one keep-alive connection, request after request.
//
// Owned by one task. Memory is taken per phase and given back before the connection
// waits again, so an idle keep-alive connection holds only `probe` (128 bytes;
// Benchmarks/scripts/http-idle-memory measures what a connection costs in all):
// - waiting for a request: one receive into `probe`. On a runtime worker the stream's
//   multishot receive fills the ring's shared buffers, so nothing of the connection's is
//   pinned while it waits. A head that fits in the probe (most do) is parsed right there;
//   otherwise its bytes go to `pending`, and more are received through a 16 KiB buffer
//   that lives for that one receive. `pending` is emptied to no storage before the next
//   wait.
// - answering: the response is built in a buffer of its own size (a head and at most
//   64 KiB of file), freed once sent: head first, then as much of the file as fits after
//   it, so a small file goes out in one send.
// GET /mem/1k is answered from memory (MemoryRoute). The body (GET/HEAD normally have
// none) is skipped up to `maximumBodyLength`. Files are stat'ed, opened (beneath the
// root unless --follow-symlinks: ServedRoot) and read through the ring; a symbolic link
// out of the root is 403. Malformed requests get their status and the connection is
// closed; so does `Connection: close` or HTTP/1.0 without keep-alive. A file that cannot
// be opened because the process or system is out of descriptors (EMFILE, ENFILE) is 503
// Service Unavailable, and the connection is closed, which gives one descriptor back.
//
// Timeouts (`HTTPTimeouts`, enforced by ConnectionDeadlines: the connection records the
// deadline of the phase it is in, and is shut down once it passes): a whole request head
// must arrive within `header` of its first byte (a client sending a byte at a time gains
// nothing), a keep-alive connection may wait `idle` for its next request, and each send
// must complete within `write` (a client that stops reading).

import ServiceLifecycle
import URing

/// How long a connection may take over each phase.
struct HTTPTimeouts: Sendable {
    /// From a request head's first byte to its end.
    var header = Duration.seconds(10)
    /// Waiting for the next request on a keep-alive connection (or the first one).
    var idle = Duration.seconds(60)
    /// One send (a client that stops reading).
    var write = Duration.seconds(30)
}

final class HTTPConnection: @unchecked Sendable {
    // @unchecked: one task uses it at a time; a file answer's child task runs while that
    // task waits for it.
    static let maximumBodyLength = 1 << 20
    /// The largest response buffer: a head and 64 KiB of file.
    static let outputCapacity = 64 * 1024 + 4 * 1024
    /// One receive while the rest of a head, or a body, is awaited.
    static let receiveCapacity = 16 * 1024
    /// The receive an idle connection waits in.
    static let probeCapacity = 128

    let stream: TCPStream
    let root: ServedRoot
    let statistics: ServerStatistics
    let timeouts: HTTPTimeouts
    let deadline: ConnectionDeadlines.Entry
    let parser = HTTPRequestParser()
    /// Received bytes not parsed yet (no storage while the connection is idle).
    private var pending: [UInt8] = []
    // Safety: the connection's own, freed in deinit, after the last ring call on it
    // returned (calls return only after their CQE).
    private let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: probeCapacity, alignment: 16)

    init(stream: TCPStream, root: ServedRoot, statistics: ServerStatistics, timeouts: HTTPTimeouts,
         deadline: ConnectionDeadlines.Entry) {
        self.stream = stream
        self.root = root
        self.statistics = statistics
        self.timeouts = timeouts
        self.deadline = deadline
    }

    deinit {
        probe.deallocate()
    }

    /// Serves requests until the peer closes, asks to close, or sends something invalid.
    func run() async throws {
        while true {
            if pending.isEmpty {
                // Idle: wait with the probe only, and no storage in `pending`.
                pending = []
                deadline.expire(after: timeouts.idle)
                let count = try await stream.receive(into: probe)
                if count == 0 { return }
                deadline.expire(after: timeouts.header)
                let bytes = UnsafeRawBufferPointer(rebasing: probe[..<count])
                switch parser.parse(bytes) {
                case .request(let head, let headLength):
                    if headLength < count { pending.append(contentsOf: bytes[headLength...]) }
                    guard try await serve(head) else { return }
                    continue
                case .failure(let error):
                    try await sendError(error.status, keepAlive: false)
                    return
                case .incomplete:
                    pending.append(contentsOf: bytes)
                }
            }
            // A head longer than the probe, or one that came right after the last.
            switch pending.withUnsafeBytes({ parser.parse($0) }) {
            case .incomplete:
                guard try await receiveMore() else { return }
            case .failure(let error):
                try await sendError(error.status, keepAlive: false)
                return
            case .request(let head, let headLength):
                pending.removeFirst(headLength)
                guard try await serve(head) else { return }
                // The next head (pipelined) starts now.
                if !pending.isEmpty { deadline.expire(after: timeouts.header) }
            }
        }
    }

    /// Appends what arrives next to `pending`, through a buffer held for this receive
    /// only; false at end of stream. The current phase's deadline applies.
    private func receiveMore() async throws -> Bool {
        // Safety: owned here and freed on every path after the receive returned.
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.receiveCapacity, alignment: 16)
        defer { input.deallocate() }
        let count = try await stream.receive(into: input)
        if count == 0 { return false }
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<count]))
        return true
    }

    /// Skips the body and answers one parsed request; returns whether the connection stays open.
    private func serve(_ head: HTTPRequestHead) async throws -> Bool {
        var head = head
        // Draining (the service group is shutting down): answer this one, then close.
        if Task.isShuttingDownGracefully { head.keepAlive = false }
        guard head.contentLength <= Self.maximumBodyLength else {
            try await sendError(.payloadTooLarge, keepAlive: false)
            return false
        }
        guard try await skipBody(head.contentLength) else { return false }
        deadline.expire(at: 0)
        statistics.requests.add(1, ordering: .relaxed)
        return try await respond(to: head)
    }

    /// Drops `length` body bytes; false if the stream ended first.
    private func skipBody(_ length: Int) async throws -> Bool {
        var remaining = length
        while remaining > 0 {
            if pending.isEmpty {
                deadline.expire(after: timeouts.header)
                guard try await receiveMore() else { return false }
            }
            let dropped = min(remaining, pending.count)
            pending.removeFirst(dropped)
            remaining -= dropped
        }
        return true
    }

    /// Answers one request; returns whether the connection stays open.
    private func respond(to head: HTTPRequestHead) async throws -> Bool {
        guard head.method == "GET" || head.method == "HEAD" else {
            try await sendError(.methodNotAllowed, keepAlive: head.keepAlive)
            return head.keepAlive
        }
        if head.target == MemoryRoute.path {
            let response = head.keepAlive ? MemoryRoute.keepAlive : MemoryRoute.close
            let whole = head.method == "HEAD" ? response.bytes[..<response.headLength] : response.bytes[...]
            try await send(UnsafeRawBufferPointer(rebasing: whole))
            return head.keepAlive
        }
        let relative: String
        do {
            relative = try RequestPath.relativePath(for: head.target)
        } catch .traversal {
            try await sendError(.forbidden, keepAlive: head.keepAlive)
            return head.keepAlive
        } catch {
            try await sendError(.badRequest, keepAlive: false)
            return false
        }
        // A file's answer goes deep (path lookup, open, read, send), and the task allocator
        // keeps the slabs a task's deepest call needed until the task ends: answered in a
        // child task, those slabs go with it instead of staying with an idle connection.
        let connection = self
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await connection.respondWithFile(relative, to: head) }
            return try await group.next() ?? false
        }
    }

    /// Answers `head` with the file at `relative` below the root.
    private func respondWithFile(_ relative: String, to head: HTTPRequestHead) async throws -> Bool {
        let file: File, size: Int64, path: String
        do {
            (file, size, path) = try await root.openFile(relative)
        } catch .notFound {
            try await sendError(.notFound, keepAlive: head.keepAlive)
            return head.keepAlive
        } catch .escapesRoot {
            try await sendError(.forbidden, keepAlive: head.keepAlive)
            return head.keepAlive
        } catch .outOfDescriptors {
            try await sendError(.serviceUnavailable, keepAlive: false)
            return false
        }
        let responseHead = Array(HTTPResponseHead(
            status: .ok, contentType: HTTPResponseHead.contentType(forPath: path),
            contentLength: size, keepAlive: head.keepAlive).text.utf8)
        let body = head.method == "HEAD" ? 0 : Int(min(size, Int64(Self.outputCapacity - responseHead.count)))
        // Safety: this response's own, freed on every path after its last send returned.
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: responseHead.count + body, alignment: 16)
        defer { output.deallocate() }
        output.copyBytes(from: responseHead)
        let complete: Bool
        do {
            if body == 0 {
                try await send(UnsafeRawBufferPointer(rebasing: output[..<responseHead.count]))
                complete = true
            } else {
                complete = try await sendContents(of: file, size: size, through: output, after: responseHead.count)
            }
        } catch {
            try? await file.close()
            throw error
        }
        try await file.close()
        // A file that shrank under us broke the promised Content-Length: close.
        return complete && head.keepAlive
    }

    /// Sends the head already in `output[..<headLength]` and `size` bytes of `file`,
    /// through `output`; false if the file ended early.
    private func sendContents(
        of file: File, size: Int64, through output: UnsafeMutableRawBufferPointer, after headLength: Int
    ) async throws -> Bool {
        var offset: Int64 = 0
        var start = headLength
        while offset < size {
            let room = min(Int64(output.count - start), size - offset)
            let count = try await file.read(into: UnsafeMutableRawBufferPointer(rebasing: output[start..<start + Int(room)]), at: offset)
            if count == 0 {
                if start > 0 { try await send(UnsafeRawBufferPointer(rebasing: output[..<start])) }
                return false
            }
            offset += Int64(count)
            try await send(UnsafeRawBufferPointer(rebasing: output[..<(start + count)]))
            start = 0
        }
        return true
    }

    /// Sends `buffer`; the connection is shut down if it takes longer than `timeouts.write`.
    private func send(_ buffer: UnsafeRawBufferPointer) async throws {
        deadline.expire(after: timeouts.write)
        try await stream.send(buffer)
        deadline.expire(at: 0)
    }

    /// Sends a short text response for `status`.
    private func sendError(_ status: HTTPStatus, keepAlive: Bool) async throws {
        let body = "\(status.rawValue) \(status.reason)\n"
        let head = HTTPResponseHead(
            status: status, contentType: "text/plain; charset=utf-8", contentLength: Int64(body.utf8.count),
            keepAlive: keepAlive)
        let bytes = (head.text + body).utf8
        // Safety: this response's own, freed after its send returned.
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { output.deallocate() }
        output.copyBytes(from: bytes)
        try await send(UnsafeRawBufferPointer(output))
    }
}
