// TCPListener: a listening stream socket; `accept()` takes one connection through the
// ring, `connections` is a multishot accept as an AsyncSequence of TCPStream.
//
// TCP over IPv4 or IPv6, or a Unix-domain stream socket when bound to a Unix path (the
// path is not removed on close; remove it yourself). Binding is plain syscalls
// (socket, setsockopt, bind, listen): nothing there waits. `close()` first shuts the
// listening socket down, which ends every pending accept and multishot accept (they
// report `URingError.closed`, or end the sequence), then waits for them and closes.
// Transient accept errors (descriptor exhaustion and the like) never end `accept()` or
// `connections`: they are retried after a backoff (TCPListener+AcceptErrors.swift).

import Glibc

/// A listening stream socket (TCP, or Unix domain) with io_uring accepts.
public final class TCPListener: Sendable {
    let socket: Socket
    /// Transient accept errors: backoff, counters, the once-per-episode log.
    let recovery: AcceptRecovery

    /// The address the listener is bound to (with the port the kernel picked for port 0).
    public let localAddress: SocketAddress

    /// The descriptor; valid until `close()`. Do not close it yourself.
    public var descriptor: FileDescriptor { socket.descriptor }

    /// Binds to `address` and listens.
    ///
    /// - Parameters:
    ///   - address: where to listen: an IP address and port (port 0: the kernel picks
    ///     one, see `localAddress`), or a Unix path (the socket file must not exist yet).
    ///   - backlog: connections the kernel queues before they are accepted (listen(2),
    ///     capped by net.core.somaxconn).
    ///   - reuseAddress: SO_REUSEADDR (IP only): rebind while old connections linger in TIME_WAIT.
    ///   - reusePort: SO_REUSEPORT (IP only): several listeners share the port; the
    ///     kernel spreads connections among them.
    /// - Throws: ``SocketError`` naming `address` and the system call that failed
    ///   ("bind" with EADDRINUSE when the address is taken, EACCES for a privileged port;
    ///   "socket", "setsockopt", "listen", "getsockname"); `URingError.invalidArgument`
    ///   for a negative backlog.
    public init(binding address: SocketAddress, backlog: Int = 256, reuseAddress: Bool = true, reusePort: Bool = false) throws {
        guard backlog >= 0 else { throw URingError.invalidArgument("backlog must not be negative, got \(backlog)") }
        let socket = try SocketError.naming(address, "socket") { () throws(Errno) in
            try Socket(for: address, type: SOCK_STREAM)
        }
        let descriptor = socket.descriptor
        do throws(SocketError) {
            if address.family != .unix {
                try SocketError.naming(address, "setsockopt") { () throws(Errno) in
                    if reuseAddress {
                        try SocketSystemCalls.setOption(descriptor, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
                    }
                    if reusePort {
                        try SocketSystemCalls.setOption(descriptor, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
                    }
                }
            }
            try SocketError.naming(address, "bind") { () throws(Errno) in
                try SocketSystemCalls.bind(descriptor, to: address)
            }
            try SocketError.naming(address, "listen") { () throws(Errno) in
                try SocketSystemCalls.listen(descriptor, backlog: Int32(clamping: backlog))
            }
            localAddress = try SocketError.naming(address, "getsockname") { () throws(Errno) in
                try SocketSystemCalls.localAddress(descriptor)
            }
        } catch {
            socket.closeNow()
            throw error
        }
        self.socket = socket
        recovery = AcceptRecovery(address: localAddress)
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { socket.isClosed }

    /// Waits for one connection and returns it. Transient errors (EMFILE, ENFILE,
    /// ENOBUFS, ENOMEM, ECONNABORTED, EPROTO, EPERM, EINTR...) are retried after a
    /// backoff (10 ms doubling to 1 s), not thrown; see `statistics()`.
    ///
    /// - Throws: `URingError.closed` when the listener is (or gets) closed,
    ///   `URingError.deadlineExceeded` past a `URingRuntime.withDeadline`,
    ///   `CancellationError`, or a programming error (EBADF, EINVAL, ENOTSOCK,
    ///   EOPNOTSUPP). A connection that arrives for a cancelled caller is closed.
    public func accept() async throws -> TCPStream {
        while true {
            let attempt: Result<FileDescriptor, Errno> = try await socket.withUse {
                do {
                    return .success(try await perform(AcceptOperation(descriptor: socket.descriptor)))
                } catch let error as Errno where socket.isClosed || recovery.isClosing {
                    // close() shut the socket down under this accept (EINVAL).
                    _ = error
                    throw URingError.closed
                } catch let error as Errno where AcceptFailure.isTransient(error) {
                    return .failure(error)
                }
            }
            switch attempt {
            case .success(let descriptor):
                recovery.succeeded()
                return TCPStream(taking: descriptor)
            case .failure(let error):
                try await recovery.backOff(after: error)
            }
        }
    }

    /// Shuts the listening socket down (ending pending accepts), waits for them, then
    /// closes it. Closing twice throws `URingError.closed`.
    public func close() async throws {
        recovery.close()
        if !socket.isClosed {
            _ = Glibc.shutdown(socket.descriptor.rawValue, Int32(SHUT_RDWR))
        }
        try await socket.close()
    }
}
