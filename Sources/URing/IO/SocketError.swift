// SocketError: a kernel error from a call that takes a socket address, naming the address
// and the system call. The rule it belongs to is in PathError.swift's header.

/// A call that takes a socket address failed there: `systemCall` failed for `address` with
/// `errno`.
///
/// `TCPListener(binding:)`, `TCPStream.connect(to:)`, `UDPSocket(binding:)` and
/// `UDPSocket.send(_:to:)` throw their kernel errors this way; calls on a connected or
/// bound socket (`send`, `receive`, `accept`, `shutdown`, `close`) throw the bare `Errno`,
/// since the caller holds the socket. Match by errno:
///
/// ```swift
/// do {
///     let stream = try await TCPStream.connect(to: .ipv4Loopback(port: 1))
/// } catch let error as SocketError where error.errno == .connectionRefused {
///     print(error)  // connect to 127.0.0.1:1: Connection refused (ECONNREFUSED)
/// }
/// ```
///
/// swift-system's `catch Errno.connectionRefused` (its `~=`) matches only a bare `Errno`,
/// not a SocketError. Errors that are not the kernel's (``URingError``, such as
/// `deadlineExceeded`; `CancellationError`) are thrown as they are.
public struct SocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The address the call was given: where to bind, connect or send.
    public var address: SocketAddress
    /// The system call that failed, by its C name: "socket", "setsockopt", "bind",
    /// "listen", "getsockname", "connect" or "sendmsg".
    public var systemCall: String
    /// The kernel's error, for matching (EADDRINUSE, ECONNREFUSED, ENETUNREACH, ...).
    public var errno: Errno

    /// `systemCall` (its C name, such as "connect") failed for `address` with `errno`.
    public init(address: SocketAddress, systemCall: String, errno: Errno) {
        self.address = address
        self.systemCall = systemCall
        self.errno = errno
    }

    /// The call, the address and the error, as "connect to 127.0.0.1:1: Connection
    /// refused (ECONNREFUSED)" or "bind to 0.0.0.0:80: Permission denied (EACCES)".
    public var description: String {
        let preposition: String
        switch systemCall {
        case "bind", "connect", "sendmsg": preposition = "to"
        default: preposition = "for"
        }
        return "\(systemCall) \(preposition) \(address): \(errno.explained)"
    }
}

extension SocketError {
    /// Runs `body`, throwing its errno as a SocketError that names `address` and `systemCall`.
    static func naming<Result>(
        _ address: SocketAddress, _ systemCall: String, _ body: () throws(Errno) -> Result
    ) throws(SocketError) -> Result {
        do {
            return try body()
        } catch {
            throw SocketError(address: address, systemCall: systemCall, errno: error)
        }
    }
}
