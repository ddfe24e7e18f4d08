import Testing
import URing

@Suite("TCP half-close", .requiresIOURing)
struct AHalfClosedStreamStillReceives {
    @Test("shutting down the write side gives the peer EOF while the other direction still carries data")
    func halfCloseDeliversEOF() async throws {
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let client = try await TCPStream.connect(to: listener.localAddress)
            let server = try await listener.accept()
            try await client.send([1, 2, 3])
            try await client.shutdown(.write)
            #expect(try await server.receive(maxCount: 10) == [1, 2, 3])
            #expect(try await server.receive(maxCount: 10) == [])
            #expect(try await server.receive(maxCount: 10) == [])
            // The server's direction is still open.
            try await server.send([9, 8, 7])
            #expect(try await client.receive(maxCount: 10) == [9, 8, 7])
            try await server.close()
            #expect(try await client.receive(maxCount: 10) == [])
            try await client.close()
            try await listener.close()
        }
    }
}
