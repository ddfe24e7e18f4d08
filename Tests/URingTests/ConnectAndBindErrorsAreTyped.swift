import Testing
import URing

@Suite("TCP connect and bind errors", .requiresIOURing)
struct ConnectAndBindErrorsAreTyped {
    @Test("connecting to a loopback port nobody listens on throws ECONNREFUSED, naming the address")
    func connectionRefused() async throws {
        try await withRuntime { _ in
            // Take a free port from the kernel, then stop listening on it.
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            try await listener.close()
            await #expect(throws: SocketError(address: address, systemCall: "connect", errno: .connectionRefused)) {
                try await TCPStream.connect(to: address)
            }
            let ipv6 = SocketAddress.ipv6Loopback(port: address.port!)
            await #expect(throws: SocketError(address: ipv6, systemCall: "connect", errno: .connectionRefused)) {
                try await TCPStream.connect(to: ipv6)
            }
        }
    }

    @Test("binding to a port another listener holds throws EADDRINUSE naming the address, even with SO_REUSEADDR")
    func addressInUse() async throws {
        try await withRuntime { _ in
            let first = try TCPListener(binding: .ipv4Loopback())
            let inUse = SocketError(address: first.localAddress, systemCall: "bind", errno: .addressInUse)
            #expect(throws: inUse) { try TCPListener(binding: first.localAddress) }
            #expect(throws: inUse) { try TCPListener(binding: first.localAddress, reuseAddress: false) }
            try await first.close()
        }
    }

    @Test("two listeners with SO_REUSEPORT share one port")
    func reusePortShares() async throws {
        try await withRuntime { _ in
            let first = try TCPListener(binding: .ipv4Loopback(), reusePort: true)
            let second = try TCPListener(binding: first.localAddress, reusePort: true)
            #expect(second.localAddress == first.localAddress)
            try await first.close()
            try await second.close()
        }
    }
}
