import Glibc
import Testing
import URing

@Suite("TCP backpressure", .requiresIOURing)
struct APausedReaderHoldsBackTheSender {
    @Test("a sender to a paused reader suspends once the socket buffers are full, then every byte arrives in order")
    func slowReaderBoundsTheSender() async throws {
        let chunk = 64 * 1024
        let chunks = 768  // 48 MiB: far more than loopback socket buffers hold
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
            // The reader is paused: the sender fills the socket buffers and must then stop.
            // Wait (bounded) until its progress stalls. A descheduled sender can look stalled
            // too, so what is checked is not the stall but that it never got far: 48 MiB do
            // not fit in what the sockets and the receive queue may hold.
            var whilePaused = -1
            for _ in 0..<100 where sent.value != whilePaused {
                whilePaused = sent.value
                try await URingRuntime.sleep(for: .milliseconds(50))
            }
            let ahead = sent.value
            #expect(ahead > 0)
            #expect(ahead < 24 * 1024 * 1024, "the sender got \(ahead) bytes ahead of a paused reader")
            // Now read everything and check it byte for byte against the expected pattern.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            defer {
                buffer.deallocate()
                expected.deallocate()
            }
            var received = 0
            var corrupt = 0
            while received < chunk * chunks {
                let count = try await client.receive(into: buffer)
                if count == 0 { break }
                var offset = 0
                while offset < count {
                    // The run of bytes inside one sent chunk, all equal to its index.
                    let index = (received + offset) / chunk
                    let run = min(count - offset, (index + 1) * chunk - (received + offset))
                    expected.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: index))
                    if memcmp(buffer.baseAddress! + offset, expected.baseAddress!, run) != 0 { corrupt += 1 }
                    offset += run
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
