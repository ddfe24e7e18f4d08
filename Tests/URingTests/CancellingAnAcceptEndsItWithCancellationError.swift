import Testing
import URing

@Suite("Cancelling accepts", .requiresIOURing)
struct CancellingAnAcceptEndsItWithCancellationError {
    @Test("a cancelled pending accept throws CancellationError and leaves only the listener's descriptor")
    func cancelPendingAccept() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let port = listener.localAddress.port!
            #expect(openSocketCount(onPort: port) == 1)
            let accepter = Task(executorPreference: runtime.executor) { try await listener.accept() }
            try await URingRuntime.sleep(for: .milliseconds(20))
            accepter.cancel()
            await #expect(throws: CancellationError.self) { try await accepter.value }
            #expect(openSocketCount(onPort: port) == 1)
            try await listener.close()
            #expect(openSocketCount(onPort: port) == 0)
        }
    }

    @Test("300 accepts cancelled while connections arrive leak no descriptor")
    func cancelRacingConnections() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback(), backlog: 1024)
            let port = listener.localAddress.port!
            var accepted = 0
            for round in 0..<300 {
                let accepter = Task(executorPreference: runtime.executor) { try await listener.accept() }
                let client = try await TCPStream.connect(to: listener.localAddress)
                if round % 3 == 0 { await Task.yield() }
                accepter.cancel()
                if let connection = try? await accepter.value {
                    accepted += 1
                    try await connection.close()
                }
                try await client.close()
            }
            #expect(openSocketCount(onPort: port) == 1)
            try await listener.close()
            #expect(openSocketCount(onPort: port) == 0)
        }
    }

    @Test("closing the listener ends a pending accept with URingError.closed")
    func closeEndsPendingAccept() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let accepter = Task(executorPreference: runtime.executor) { try await listener.accept() }
            try await URingRuntime.sleep(for: .milliseconds(20))
            try await URingRuntime.withTimeout(.seconds(5)) { try await listener.close() }
            await #expect(throws: URingError.closed) { try await accepter.value }
        }
    }
}
