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
    /// - Throws: `URingError.invalidArgument` for a Unix path, `Errno.addressInUse`.
    public init(binding address: SocketAddress, reuseAddress: Bool = false) throws {
        guard address.family != .unix else { throw URingError.invalidArgument("a UDPSocket needs an IP address, not \(address)") }
        let socket = try Socket(for: address, type: SOCK_DGRAM)
        do {
            if reuseAddress { try socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1) }
            try SocketSystemCalls.bind(socket.descriptor, to: address)
            localAddress = try socket.localAddress()
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
    /// - Throws: `Errno.messageTooLong` for a datagram over the protocol's limit,
    ///   `URingError.invalidArgument` for a Unix path.
    public func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        guard address.family != .unix else { throw URingError.invalidArgument("a UDPSocket sends to IP addresses, not \(address)") }
        let message = try bytes.withUnsafeBytes { try MessageBuffer(sending: $0, to: address) }
        try await socket.withUse {
            let sent = try await perform(SendMessageOperation(descriptor: socket.descriptor, message: message))
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
