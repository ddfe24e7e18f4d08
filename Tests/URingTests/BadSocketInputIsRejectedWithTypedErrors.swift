import Testing
import URing

@Suite("Socket API invalid input", .requiresIOURing)
struct BadSocketInputIsRejectedWithTypedErrors {
    @Test("bad counts, a negative backlog, Unix addresses for UDP and closed sockets are rejected with typed errors")
    func rejectsBeforeSubmitting() async throws {
        try await withRuntime { _ in
            #expect(throws: URingError.invalidArgument("backlog must not be negative, got -1")) {
                try TCPListener(binding: .ipv4Loopback(), backlog: -1)
            }
            #expect(throws: URingError.self) { try UDPSocket(binding: try SocketAddress(unixPath: "/tmp/x.sock")) }
            let listener = try TCPListener(binding: .ipv4Loopback())
            let stream = try await TCPStream.connect(to: listener.localAddress)
            await #expect(throws: URingError.self) { try await stream.receive(maxCount: 0) }
            let udp = try UDPSocket(binding: .ipv4Loopback())
            await #expect(throws: URingError.self) { try await udp.receive(maxCount: -1) }
            await #expect(throws: URingError.self) { try await udp.send([1], to: try SocketAddress(unixPath: "/tmp/x.sock")) }
            try await stream.close()
            await #expect(throws: URingError.closed) { try await stream.send([1]) }
            await #expect(throws: URingError.closed) { try await stream.receive(maxCount: 1) }
            await #expect(throws: URingError.closed) { try await stream.close() }
            #expect(throws: URingError.closed) { try stream.setNoDelay(true) }
            try await udp.close()
            try await listener.close()
            await #expect(throws: URingError.closed) { try await listener.accept() }
        }
    }

    @Test("TCP_NODELAY can be switched on and off")
    func noDelay() async throws {
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let stream = try await TCPStream.connect(to: listener.localAddress)
            #expect(try stream.noDelay == false)
            try stream.setNoDelay(true)
            #expect(try stream.noDelay == true)
            try stream.setNoDelay(false)
            #expect(try stream.noDelay == false)
            try await stream.close()
            try await listener.close()
        }
    }
}
