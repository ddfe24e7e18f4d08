import Testing
import URing

@Suite("TCP peer reset", .requiresIOURing)
struct APeerResetIsATypedError {
    @Test("a peer that resets (SO_LINGER 0 + close) while we wait in receive gives ECONNRESET, then sends fail with EPIPE or ECONNRESET")
    func resetMidReceive() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let client = try await TCPStream.connect(to: listener.localAddress)
            let server = try await listener.accept()
            let receiver = Task(executorPreference: runtime.executor) { try await server.receive(maxCount: 100) }
            // Let the receive reach the kernel, then reset from the other end.
            try await URingRuntime.sleep(for: .milliseconds(30))
            try setResetOnClose(client.descriptor)
            try await client.close()
            await #expect(throws: Errno.connectionReset) { try await receiver.value }
            let sendError = await #expect(throws: Errno.self) { try await server.send([1, 2, 3]) }
            #expect(sendError == .brokenPipe || sendError == .connectionReset)
            try await server.close()
            try await listener.close()
        }
    }
}
