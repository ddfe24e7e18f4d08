import Testing
import URing

@Suite("TCP connect and bind errors", .requiresIOURing)
struct ConnectAndBindErrorsAreTyped {
    @Test("connecting to a loopback port nobody listens on throws ECONNREFUSED")
    func connectionRefused() async throws {
        try await withRuntime { _ in
            // Take a free port from the kernel, then stop listening on it.
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            try await listener.close()
            await #expect(throws: Errno.connectionRefused) { try await TCPStream.connect(to: address) }
            await #expect(throws: Errno.connectionRefused) {
                try await TCPStream.connect(to: .ipv6Loopback(port: address.port!))
            }
        }
    }

    @Test("binding to a port another listener holds throws EADDRINUSE, even with SO_REUSEADDR")
    func addressInUse() async throws {
        try await withRuntime { _ in
            let first = try TCPListener(binding: .ipv4Loopback())
            #expect(throws: Errno.addressInUse) { try TCPListener(binding: first.localAddress) }
            #expect(throws: Errno.addressInUse) { try TCPListener(binding: first.localAddress, reuseAddress: false) }
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
