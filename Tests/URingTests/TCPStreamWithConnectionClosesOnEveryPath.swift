import Testing
import URing

@Suite("TCPStream.withConnection closes the stream on every path", .requiresIOURing)
struct TCPStreamWithConnectionClosesOnEveryPath {
    struct BodyFailed: Error, Equatable {}

    @Test("withConnection returns the body's result and closes the stream after it returns, throws, or is cancelled")
    func closesOnEveryPath() async throws {
        // The streams the bodies saw, held past withConnection so only its close can end them.
        let seen = Shared<[TCPStream]>([])
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let port = listener.localAddress.port ?? 0
            let address = listener.localAddress
            // The listener, plus our client end while a body runs (accepted ends are closed).
            let reply = try await TCPStream.withConnection(to: address) { stream in
                seen.update { $0.append(stream) }
                let accepted = try await listener.accept()
                try await accepted.send([42])
                try await accepted.close()
                return (try await stream.receive(maxCount: 1), openSocketCount(onPort: port))
            }
            #expect(reply.0 == [42])
            #expect(reply.1 == 2)
            #expect(openSocketCount(onPort: port) == 1)

            await #expect(throws: BodyFailed()) {
                try await TCPStream.withConnection(to: address) { stream in
                    seen.update { $0.append(stream) }
                    throw BodyFailed()
                }
            }
            try await listener.accept().close()
            #expect(openSocketCount(onPort: port) == 1)

            let waiting = Task(executorPreference: runtime.executor) {
                try await TCPStream.withConnection(to: address) { stream in
                    seen.update { $0.append(stream) }
                    return try await stream.receive(maxCount: 1)
                }
            }
            let silent = try await listener.accept()
            // Wait for the body to run: a cancel before that would end the connect instead.
            while seen.value.count < 3 { await Task.yield() }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            try await silent.close()
            #expect(openSocketCount(onPort: port) == 1)
            try await listener.close()
        }
        #expect(seen.value.count == 3)
        #expect(seen.value.map(\.isClosed) == [true, true, true])
    }
}
