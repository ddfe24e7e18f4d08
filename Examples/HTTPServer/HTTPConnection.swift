// HTTPConnection: serves one keep-alive connection, request after request.
//
// Owned by one task. Bytes received go to `pending`; the parser takes a head from its
// front, the body (GET/HEAD normally have none) is skipped up to `maximumBodyLength`,
// then the response is built in `output`: head first, then as much of the file as fits
// after it, so a small file goes out in one send. Files are stat'ed, opened (beneath the
// root unless --follow-symlinks: ServedRoot) and read through the ring; a symbolic link
// out of the root is 403. Malformed requests get their status and the connection is closed;
// so does `Connection: close` or HTTP/1.0 without keep-alive. A file that cannot be
// opened because the process or system is out of descriptors (EMFILE, ENFILE) is 503
// Service Unavailable, and the connection is closed, which gives one descriptor back.
//
// Timeouts (`HTTPTimeouts`, on the runtime's deadlines: each receive or send is cut short
// with URingError.deadlineExceeded, and the connection is closed): a whole request head
// must arrive within `header` of its first byte (a client sending a byte at a time gains
// nothing), a keep-alive connection may wait `idle` for its next request, and each send
// must complete within `write` (a client that stops reading).

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

struct HTTPConnection: ~Copyable {
    static let maximumBodyLength = 1 << 20
    static let outputCapacity = 64 * 1024 + 4 * 1024
    static let receiveCapacity = 16 * 1024

    let stream: TCPStream
    let root: ServedRoot
    let statistics: ServerStatistics
    let timeouts: HTTPTimeouts
    let parser = HTTPRequestParser()
    private var pending: [UInt8] = []
    // Safety: both buffers belong to this connection and are freed in deinit, after the
    // last ring call on them returned (calls return only after their CQE).
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: outputCapacity, alignment: 16)
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: receiveCapacity, alignment: 16)

    init(stream: TCPStream, root: ServedRoot, statistics: ServerStatistics, timeouts: HTTPTimeouts) {
        self.stream = stream
        self.root = root
        self.statistics = statistics
        self.timeouts = timeouts
        pending.reserveCapacity(Self.receiveCapacity)
    }

    deinit {
        output.deallocate()
        input.deallocate()
    }

    /// Serves requests until the peer closes, asks to close, or sends something invalid.
    mutating func run() async throws {
        // When the head being received began (its first byte arrived).
        var headStart: ContinuousClock.Instant?
        while true {
            let result = pending.withUnsafeBytes { parser.parse($0) }
            switch result {
            case .incomplete:
                let now = ContinuousClock.now
                if !pending.isEmpty && headStart == nil { headStart = now }
                let deadline = headStart.map { $0 + timeouts.header } ?? now + timeouts.idle
                guard try await receiveMore(until: deadline) else { return }
            case .failure(let error):
                try await sendError(error.status, keepAlive: false)
                return
            case .request(var head, let headLength):
                headStart = nil
                pending.removeFirst(headLength)
                // Draining (the server is stopping): answer this one, then close.
                if statistics.connections.isDraining { head.keepAlive = false }
                guard head.contentLength <= Self.maximumBodyLength else {
                    try await sendError(.payloadTooLarge, keepAlive: false)
                    return
                }
                guard try await skipBody(head.contentLength) else { return }
                statistics.requests.add(1, ordering: .relaxed)
                guard try await respond(to: head) else { return }
            }
        }
    }

    /// Appends what arrives by `deadline` to `pending`; false at end of stream.
    private mutating func receiveMore(until deadline: ContinuousClock.Instant) async throws -> Bool {
        let (stream, input) = (self.stream, self.input)
        let count = try await URingRuntime.withDeadline(deadline) { try await stream.receive(into: input) }
        if count == 0 { return false }
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<count]))
        return true
    }

    /// Drops `length` body bytes; false if the stream ended first.
    private mutating func skipBody(_ length: Int) async throws -> Bool {
        var remaining = length
        while remaining > 0 {
            if pending.isEmpty { guard try await receiveMore(until: .now + timeouts.header) else { return false } }
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
        let responseHead = HTTPResponseHead(
            status: .ok, contentType: HTTPResponseHead.contentType(forPath: path),
            contentLength: size, keepAlive: head.keepAlive)
        let headLength = write(responseHead)
        let complete: Bool
        do {
            if head.method == "HEAD" || size == 0 {
                try await send(UnsafeRawBufferPointer(rebasing: output[..<headLength]))
                complete = true
            } else {
                complete = try await sendContents(of: file, size: size, after: headLength)
            }
        } catch {
            try? await file.close()
            throw error
        }
        try await file.close()
        // A file that shrank under us broke the promised Content-Length: close.
        return complete && head.keepAlive
    }

    /// Sends the head already in `output[..<headLength]` and `size` bytes of `file`;
    /// false if the file ended early.
    private func sendContents(of file: File, size: Int64, after headLength: Int) async throws -> Bool {
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

    /// Sends `buffer`, cut short after `timeouts.write`.
    private func send(_ buffer: UnsafeRawBufferPointer) async throws {
        let stream = self.stream
        try await URingRuntime.withTimeout(timeouts.write) { try await stream.send(buffer) }
    }

    /// Writes `head` at the start of `output`; returns its length.
    private func write(_ head: HTTPResponseHead) -> Int {
        copyToOutput(head.text)
    }

    /// Copies `text` to the start of `output`; returns its length in bytes.
    private func copyToOutput(_ text: String) -> Int {
        let bytes = text.utf8
        precondition(bytes.count <= output.count, "a response head outgrew the output buffer")
        output.copyBytes(from: bytes)
        return bytes.count
    }

    /// Sends a short text response for `status`.
    private func sendError(_ status: HTTPStatus, keepAlive: Bool) async throws {
        let body = "\(status.rawValue) \(status.reason)\n"
        let head = HTTPResponseHead(
            status: status, contentType: "text/plain; charset=utf-8", contentLength: Int64(body.utf8.count),
            keepAlive: keepAlive)
        let length = copyToOutput(head.text + body)
        try await send(UnsafeRawBufferPointer(rebasing: output[..<length]))
    }
}
