import Testing
import URing

@Suite("UDP round trip", .requiresIOURing)
struct UDPDatagramsRoundTrip {
    @Test("a datagram goes out and comes back with its sender's address", arguments: [SocketAddress.ipv4Loopback(), .ipv6Loopback()])
    func roundTrip(loopback: SocketAddress) async throws {
        try await withRuntime { runtime in
            let server = try UDPSocket(binding: loopback)
            let client = try UDPSocket(binding: loopback)
            #expect(server.localAddress.family == loopback.family)
            let echo = Task(executorPreference: runtime.executor) {
                let (bytes, sender) = try await server.receive(maxCount: 2048)
                try await server.send(bytes.reversed(), to: sender)
                return sender
            }
            let payload = randomBytes(1200)
            try await client.send(payload, to: server.localAddress)
            let (reply, from) = try await URingRuntime.withTimeout(.seconds(5)) { try await client.receive(maxCount: 2048) }
            #expect(reply == payload.reversed())
            #expect(from == server.localAddress)
            #expect(try await echo.value == client.localAddress)
            try await client.close()
            try await server.close()
        }
    }

    @Test("a datagram longer than maxCount is cut to maxCount bytes")
    func truncatedDatagram() async throws {
        try await withRuntime { _ in
            let socket = try UDPSocket(binding: .ipv4Loopback())
            try await socket.send([1, 2, 3, 4, 5], to: socket.localAddress)
            let (bytes, _) = try await socket.receive(maxCount: 3)
            #expect(bytes == [1, 2, 3])
            try await socket.close()
        }
    }
}
