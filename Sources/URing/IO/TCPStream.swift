// TCPStream: a connected stream socket whose receives and sends go through the ring.
//
// TCP over IPv4 or IPv6, or a Unix-domain stream socket when connected to (or accepted
// from) a Unix path: the calls are the same. Any task may use a stream; a receive and
// a send may run at once. Every call returns only after its CQE, so a cancelled or
// timed-out receive never writes the caller's buffer afterwards. Deadlines come from
// `URingRuntime.withDeadline/withTimeout` (or `connect(to:timeout:)`), like for files.
// `close()` waits for calls in flight: to end a receive that waits for data, cancel its
// task or `shutdown(.read)` first.

import Glibc

/// A connected stream socket (TCP, or Unix domain) with io_uring I/O.
public final class TCPStream: Sendable {
    /// Which directions `shutdown` ends.
    public enum Direction: Sendable {
        /// No more receiving: pending and later receives return 0.
        case read
        /// No more sending: the peer's receives return 0 (EOF) once it has read everything.
        case write
        /// Both: shutdown(2) with SHUT_RDWR.
        case both

        var how: Int32 {
            switch self {
            case .read: return Int32(SHUT_RD)
            case .write: return Int32(SHUT_WR)
            case .both: return Int32(SHUT_RDWR)
            }
        }
    }

    let socket: Socket
    /// Receives through the worker ring's provided buffers where it can (multishot).
    let receiver: StreamReceiver

    /// The descriptor; valid until `close()`. Do not close it yourself.
    public var descriptor: FileDescriptor { socket.descriptor }

    /// Wraps a connected stream socket; the stream takes ownership and closes it.
    public convenience init(taking descriptor: FileDescriptor) {
        self.init(Socket(taking: descriptor))
    }

    /// Connects to `address` (an IP address and port, or a Unix path).
    ///
    /// - Throws: ``SocketError`` naming `address` and the system call that failed
    ///   ("connect" with ECONNREFUSED when nothing listens there, ENETUNREACH,
    ///   ETIMEDOUT, ...; "socket"), `URingError.deadlineExceeded` when `deadline` (or an
    ///   enclosing `URingRuntime.withDeadline`) passes first, `CancellationError`.
    public static func connect(to address: SocketAddress, deadline: ContinuousClock.Instant? = nil) async throws -> TCPStream {
        let socket = try SocketError.naming(address, "socket") { () throws(Errno) in
            try Socket(for: address, type: SOCK_STREAM)
        }
        do {
            let operation = ConnectOperation(descriptor: socket.descriptor, address: SocketAddressBuffer(address))
            if let deadline {
                try await OperationDeadline.with(deadline) { try await perform(operation) }
            } else {
                try await perform(operation)
            }
        } catch let error as Errno {
            socket.closeNow()
            throw SocketError(address: address, systemCall: "connect", errno: error)
        } catch {
            socket.closeNow()
            throw error
        }
        return TCPStream(socket)
    }

    /// Connects to `address` (as `connect` does; `deadline` bounds the connect only), runs
    /// `body` with the stream, and closes it on every path: when `body` returns, when it throws, and when the task is
    /// cancelled (then close(2) runs directly). `body` may close the stream itself. Do
    /// not let the stream escape `body`: it is closed when `withConnection` returns.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `connect` throws; what `body` throws; a failed close only when
    ///   `body` succeeded.
    public static func withConnection<Result>(
        to address: SocketAddress, deadline: ContinuousClock.Instant? = nil,
        _ body: (TCPStream) async throws -> Result
    ) async throws -> Result {
        let stream = try await connect(to: address, deadline: deadline)
        let result: Result
        do {
            result = try await body(stream)
        } catch {
            // close() ends the descriptor on every path (cancelled: close(2) here); a
            // stream the body closed already throws `.closed`, which says nothing new.
            try? await stream.close()
            throw error
        }
        if !stream.isClosed { try await stream.close() }
        return result
    }

    /// `connect(to: address, deadline: .now + timeout)`.
    public static func connect(to address: SocketAddress, timeout: Duration) async throws -> TCPStream {
        try await connect(to: address, deadline: ContinuousClock.now + timeout)
    }

    init(_ socket: Socket) {
        self.socket = socket
        self.receiver = StreamReceiver(descriptor: socket.descriptor, uses: socket.uses)
    }

    deinit {
        // An armed multishot receive holds the socket until cancelled; queued buffers go
        // back to their pool.
        receiver.close()
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { socket.isClosed }

    /// This end's address.
    public var localAddress: SocketAddress { get throws { try socket.localAddress() } }

    /// The peer's address (a Unix peer that did not bind has an empty path).
    public var peerAddress: SocketAddress { get throws { try socket.peerAddress() } }

    /// TCP_NODELAY: send small segments at once instead of coalescing them (Nagle off).
    /// Throws `Errno.notSupported`-style errors on a Unix-domain stream.
    public func setNoDelay(_ enabled: Bool) throws {
        try socket.setOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: enabled ? 1 : 0)
    }

    /// Whether TCP_NODELAY is set.
    public var noDelay: Bool { get throws { try socket.option(level: Int32(IPPROTO_TCP), name: TCP_NODELAY) != 0 } }

    // MARK: Receiving

    /// Receives what has arrived, up to `buffer.count` bytes, waiting until something
    /// has; returns 0 at end of stream (the peer shut down its sending side). Buffers
    /// over 4 GiB receive at most 4 GiB - 4 KiB.
    ///
    /// On a runtime worker, the stream keeps a multishot receive armed that fills buffers
    /// from the worker ring's pool (`URingRuntime.Configuration.receiveBufferPool`); up to
    /// 64 KiB that arrived before you asked wait in the stream, and the socket's own
    /// buffer (then TCP flow control) holds the rest. Calls with a deadline, calls from
    /// other threads and calls when the pool is empty receive straight into `buffer`.
    /// A cancelled receive leaves what arrives later for the next one; no byte is lost.
    ///
    /// - Throws: `Errno.connectionReset` when the peer reset the connection,
    ///   `URingError.closed` after `close()`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, File.maximumChunk)])
        return try await receiver.receive(into: slice)
    }

    /// Receives up to `maxCount` bytes (at most 64 MiB per call: one receive never
    /// returns more than the socket and the stream have buffered); an empty array means
    /// end of stream.
    ///
    /// - Throws: `URingError.invalidArgument` for `maxCount < 1`, `Errno.noMemory` when
    ///   the buffer cannot be had, and what `receive(into:)` throws.
    public func receive(maxCount: Int) async throws -> [UInt8] {
        guard maxCount > 0 else { throw URingError.invalidArgument("maxCount must be positive, got \(maxCount)") }
        // Safety: owned here and freed on every path after the receive returned (the
        // ring no longer touches it then).
        let buffer = try IOBuffer.allocate(byteCount: min(maxCount, Self.largestReceive))
        defer { IOBuffer.free(buffer) }
        let count = try await receive(into: buffer)
        return Array(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }

    /// The most one `receive(maxCount:)` allocates for.
    static let largestReceive = 64 << 20

    // MARK: Sending

    /// Sends all of `buffer`, continuing after short sends; suspends while the socket's
    /// send buffer is full (backpressure).
    ///
    /// - Throws: `Errno.brokenPipe` or `Errno.connectionReset` when the peer is gone
    ///   (never SIGPIPE).
    public func send(_ buffer: UnsafeRawBufferPointer) async throws {
        try await socket.withUse {
            var done = 0
            while done < buffer.count {
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[done..<min(buffer.count, done + File.maximumChunk)])
                let count = try await perform(SendOperation(descriptor: socket.descriptor, buffer: chunk))
                // A send(2) of a non-empty buffer on a blocking socket never returns 0;
                // guard against spinning anyway.
                if count == 0 { throw Errno.brokenPipe }
                done += count
            }
        }
    }

    /// Sends all of `bytes` (copied first: the ring needs memory it owns).
    public func send(_ bytes: [UInt8]) async throws {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { copy.deallocate() }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        try await send(UnsafeRawBufferPointer(copy))
    }

    // MARK: Ending

    /// Ends one or both directions (shutdown(2)); the descriptor stays open.
    public func shutdown(_ direction: Direction) async throws {
        try await socket.withUse {
            try await perform(ShutdownOperation(descriptor: socket.descriptor, how: direction.how))
        }
    }

    /// Waits for calls in flight, then closes the socket. Later calls throw
    /// `URingError.closed`; so does closing twice. The descriptor is closed on every path.
    public func close() async throws {
        receiver.close()
        try await socket.close()
    }
}
