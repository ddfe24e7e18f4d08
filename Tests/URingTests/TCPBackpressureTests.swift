import Testing
import URing

@Suite("TCP backpressure", .requiresIOURing)
struct TCPBackpressureTests {
    @Test("a sender to a paused reader suspends once the socket buffers are full, then every byte arrives in order")
    func slowReaderBoundsTheSender() async throws {
        let chunk = 64 * 1024
        let chunks = 1024  // 64 MiB: far more than loopback socket buffers hold
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let client = try await TCPStream.connect(to: listener.localAddress)
            let server = try await listener.accept()
            let sent = Shared(0)
            let sender = Task(executorPreference: runtime.executor) {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
                defer { buffer.deallocate() }
                for index in 0..<chunks {
                    buffer.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: index))
                    try await server.send(UnsafeRawBufferPointer(buffer))
                    sent.update { $0 += chunk }
                }
                try await server.shutdown(.write)
            }
            // The reader is paused: the sender fills the buffers and must then stop.
            try await URingRuntime.sleep(for: .milliseconds(200))
            let whilePaused = sent.value
            try await URingRuntime.sleep(for: .milliseconds(100))
            #expect(sent.value == whilePaused, "the sender kept going while nobody read")
            #expect(whilePaused > 0)
            #expect(whilePaused < 32 * 1024 * 1024, "the sender got \(whilePaused) bytes ahead of a paused reader")
            // Now read everything and check it byte for byte.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            defer { buffer.deallocate() }
            var received = 0
            var corrupt = 0
            while received < chunk * chunks {
                let count = try await client.receive(into: buffer)
                if count == 0 { break }
                for offset in 0..<count where buffer[offset] != UInt8(truncatingIfNeeded: (received + offset) / chunk) {
                    corrupt += 1
                }
                received += count
            }
            #expect(received == chunk * chunks)
            #expect(corrupt == 0)
            #expect(try await client.receive(into: buffer) == 0)
            try await sender.value
            try await client.close()
            try await server.close()
            try await listener.close()
        }
    }
}
