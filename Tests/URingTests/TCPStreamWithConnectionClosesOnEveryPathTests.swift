import Testing
import URing

@Suite("TCPStream.withConnection closes the stream on every path", .requiresIOURing)
struct TCPStreamWithConnectionClosesOnEveryPathTests {
    struct BodyFailed: Error, Equatable {}

    @Test("withConnection returns the body's result and closes the stream after it returns, throws, or is cancelled")
    func closesOnEveryPath() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let port = Int(listener.localAddress.port ?? 0)
            let address = listener.localAddress
            // The listener, plus our client end while a body runs (accepted ends are closed).
            let reply = try await TCPStream.withConnection(to: address) { stream in
                let accepted = try await listener.accept()
                try await accepted.send([42])
                try await accepted.close()
                return (try await stream.receive(maxCount: 1), openSocketCount(onPort: port))
            }
            #expect(reply.0 == [42])
            #expect(reply.1 == 2)
            #expect(openSocketCount(onPort: port) == 1)

            await #expect(throws: BodyFailed()) {
                try await TCPStream.withConnection(to: address) { _ in throw BodyFailed() }
            }
            try await listener.accept().close()
            #expect(openSocketCount(onPort: port) == 1)

            let waiting = Task(executorPreference: runtime.executor) {
                try await TCPStream.withConnection(to: address) { stream in try await stream.receive(maxCount: 1) }
            }
            let silent = try await listener.accept()
            while openSocketCount(onPort: port) < 3 { await Task.yield() }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            try await silent.close()
            #expect(openSocketCount(onPort: port) == 1)
            try await listener.close()
        }
    }
}
