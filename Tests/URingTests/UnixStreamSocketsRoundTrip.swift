import Testing
import URing

@Suite("Unix domain stream sockets", .requiresIOURing)
struct UnixStreamSocketsRoundTrip {
    @Test("bytes sent over a Unix socket path come back exactly, and the addresses name the path")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let address = try SocketAddress(unixPath: directory.appending("echo.sock").string)
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: address)
            #expect(listener.localAddress == address)
            let server = Task(executorPreference: runtime.executor) {
                let connection = try await listener.accept()
                try await TCPStreamsEchoEveryByte.echo(connection)
            }
            let client = try await TCPStream.connect(to: address)
            #expect(try client.peerAddress == address)
            #expect(try client.localAddress.unixPath == "")
            let payload = randomBytes(300_000)
            let echoed = try await TCPStreamsEchoEveryByte.roundTrip(payload, over: client)
            #expect(echoed == payload)
            try await server.value
            try await client.close()
            try await listener.close()
        }
    }
}
