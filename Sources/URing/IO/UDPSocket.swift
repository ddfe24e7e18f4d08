// UDPSocket: datagrams through the ring with sendmsg/recvmsg. Each call copies its
// payload into (or out of) a heap message that the slot keeps alive, together with the
// msghdr, iovec and peer address the kernel reads or fills, until the CQE.

import Glibc

/// A UDP socket (IPv4 or IPv6) with io_uring sends and receives.
public final class UDPSocket: Sendable {
    let socket: Socket

    /// The address the socket is bound to (with the port the kernel picked for port 0).
    public let localAddress: SocketAddress

    /// The descriptor; valid until `close()`. Do not close it yourself.
    public var descriptor: FileDescriptor { socket.descriptor }

    /// Binds a UDP socket to `address` (port 0: the kernel picks one).
    ///
    /// - Throws: `URingError.invalidArgument` for a Unix path; ``SocketError`` naming
    ///   `address` and the system call that failed ("bind" with EADDRINUSE when the
    ///   address is taken; "socket", "setsockopt", "getsockname").
    public init(binding address: SocketAddress, reuseAddress: Bool = false) throws {
        guard address.family != .unix else { throw URingError.invalidArgument("a UDPSocket needs an IP address, not \(address)") }
        let socket = try SocketError.naming(address, "socket") { () throws(Errno) in
            try Socket(for: address, type: SOCK_DGRAM)
        }
        let descriptor = socket.descriptor
        do throws(SocketError) {
            if reuseAddress {
                try SocketError.naming(address, "setsockopt") { () throws(Errno) in
                    try SocketSystemCalls.setOption(descriptor, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
                }
            }
            try SocketError.naming(address, "bind") { () throws(Errno) in
                try SocketSystemCalls.bind(descriptor, to: address)
            }
            localAddress = try SocketError.naming(address, "getsockname") { () throws(Errno) in
                try SocketSystemCalls.localAddress(descriptor)
            }
        } catch {
            socket.closeNow()
            throw error
        }
        self.socket = socket
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { socket.isClosed }

    /// Sends `bytes` as one datagram to `address`.
    ///
    /// - Throws: `URingError.invalidArgument` for a Unix path; ``SocketError`` naming
    ///   `address` and "sendmsg" for the kernel's errors (EMSGSIZE for a datagram over the
    ///   protocol's limit, ENETUNREACH, ECONNREFUSED after an earlier datagram there was
    ///   refused, ...); `URingError.closed` after `close()`.
    public func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        guard address.family != .unix else { throw URingError.invalidArgument("a UDPSocket sends to IP addresses, not \(address)") }
        let message = try bytes.withUnsafeBytes { try MessageBuffer(sending: $0, to: address) }
        try await socket.withUse {
            let sent: Int
            do {
                sent = try await perform(SendMessageOperation(descriptor: socket.descriptor, message: message))
            } catch let error as Errno {
                throw SocketError(address: address, systemCall: "sendmsg", errno: error)
            }
            // A datagram goes whole or not at all.
            precondition(sent == bytes.count, "sendmsg sent \(sent) of \(bytes.count) bytes of a datagram")
        }
    }

    /// Waits for one datagram; returns up to `maxCount` of its bytes (the rest of a
    /// longer one is discarded) and its sender. A `maxCount` too large to allocate
    /// throws `Errno.noMemory`.
    public func receive(maxCount: Int) async throws -> (bytes: [UInt8], from: SocketAddress) {
        guard maxCount > 0 else { throw URingError.invalidArgument("maxCount must be positive, got \(maxCount)") }
        let message = try MessageBuffer(capacity: maxCount)
        return try await socket.withUse {
            let count = try await perform(ReceiveMessageOperation(descriptor: socket.descriptor, message: message))
            guard let sender = message.sender else { throw Errno.addressFamilyNotSupported }
            return (Array(UnsafeRawBufferPointer(rebasing: message.payload[..<count])), sender)
        }
    }

    /// Waits for calls in flight, then closes the socket. Closing twice throws
    /// `URingError.closed`.
    public func close() async throws {
        try await socket.close()
    }
}
