import Testing
import URing

@Suite("Deadlines on socket operations", .requiresIOURing)
struct DeadlinesCutSocketOperationsShort {
    @Test("an accept nobody connects to throws deadlineExceeded at its deadline, and the listener still works")
    func acceptPastDeadline() async throws {
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let start = ContinuousClock.now
            await #expect(throws: URingError.deadlineExceeded) {
                try await URingRuntime.withTimeout(.milliseconds(40)) { try await listener.accept() }
            }
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(40) && waited < .seconds(5))
            let client = try await TCPStream.connect(to: listener.localAddress, timeout: .seconds(5))
            let server = try await listener.accept()
            try await client.send([42])
            #expect(try await server.receive(maxCount: 1) == [42])
            try await client.close()
            try await server.close()
            try await listener.close()
        }
    }

    @Test("a receive with no data throws deadlineExceeded at its deadline and the buffer is untouched")
    func receivePastDeadline() async throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAB)
        let shared = TestBuffer(bytes: buffer)
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let client = try await TCPStream.connect(to: listener.localAddress)
            let server = try await listener.accept()
            await #expect(throws: URingError.deadlineExceeded) {
                try await URingRuntime.withTimeout(.milliseconds(40)) { try await server.receive(into: shared.bytes) }
            }
            // The receive is over for the kernel too: later data lands in the next receive.
            try await client.send([1, 2])
            try await URingRuntime.sleep(for: .milliseconds(20))
            #expect(shared.bytes.allSatisfy { $0 == 0xAB })
            #expect(try await server.receive(maxCount: 16) == [1, 2])
            try await client.close()
            try await server.close()
            try await listener.close()
        }
    }

    @Test("a connect whose deadline has already passed throws deadlineExceeded and leaks no socket")
    func connectPastDeadline() async throws {
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let port = listener.localAddress.port!
            let before = openSocketCount(onPort: port)
            await #expect(throws: URingError.deadlineExceeded) {
                try await TCPStream.connect(to: listener.localAddress, deadline: .now - .milliseconds(1))
            }
            #expect(openSocketCount(onPort: port) == before)
            try await listener.close()
        }
    }
}
