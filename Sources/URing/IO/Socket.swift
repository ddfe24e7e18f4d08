// Socket: the descriptor and lifetime shared by TCPListener, TCPStream and UDPSocket.
//
// Like File, each call is bracketed by `FileUseCount`: `close()` refuses new calls,
// waits for the calls in flight (their CQEs), then closes through the ring, and falls
// back to close(2) when the ring cannot take it (cancelled, shutdown, no runtime). A
// socket released without `close()` closes its descriptor in deinit. Any thread may
// use a Socket; the count and the closed bit are atomic.

import Glibc

final class Socket: Sendable {
    let descriptor: FileDescriptor
    let uses = FileUseCount()

    init(taking descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    /// A new socket(2) of `type` for `address`'s family (SOCK_CLOEXEC, blocking).
    convenience init(for address: SocketAddress, type: __socket_type) throws(Errno) {
        self.init(taking: try SocketSystemCalls.makeSocket(domain: address.domain, type: type))
    }

    deinit {
        if uses.closeNow() {
            _ = Glibc.close(descriptor.rawValue)
        }
    }

    var isClosed: Bool { uses.isClosed }

    /// Runs `body` as one call on the open socket, or throws `URingError.closed`.
    @inline(__always)
    func withUse<Result>(_ body: () async throws -> Result) async throws -> Result {
        try await uses.withUse(body)
    }

    /// Closes the descriptor now, without the ring (a socket that never left its creator).
    func closeNow() {
        if uses.closeNow() { _ = Glibc.close(descriptor.rawValue) }
    }

    /// Waits for calls in flight, then closes through the ring; on every path the
    /// descriptor ends up closed. A second close throws `URingError.closed`.
    func close() async throws {
        try await uses.close(descriptor)
    }

    func localAddress() throws -> SocketAddress {
        guard !uses.isClosed else { throw URingError.closed }
        return try SocketSystemCalls.localAddress(descriptor)
    }

    func peerAddress() throws -> SocketAddress {
        guard !uses.isClosed else { throw URingError.closed }
        return try SocketSystemCalls.peerAddress(descriptor)
    }

    func setOption(level: Int32, name: Int32, value: Int32) throws {
        guard !uses.isClosed else { throw URingError.closed }
        try SocketSystemCalls.setOption(descriptor, level: level, name: name, value: value)
    }

    func option(level: Int32, name: Int32) throws -> Int32 {
        guard !uses.isClosed else { throw URingError.closed }
        return try SocketSystemCalls.option(descriptor, level: level, name: name)
    }
}
