import Testing
import URing

@Suite("Deadlines on connect", .requiresIOURing)
struct ConnectGivesUpAtItsDeadline {
    @Test("a connect the listener cannot queue (its backlog is full) throws deadlineExceeded at its timeout and leaks no socket")
    func connectToFullBacklog() async throws {
        try await withRuntime { _ in
            // Backlog 0 queues one connection; with it full (never accepted) the kernel
            // drops further SYNs, so a connect waits on SYN retries (1 s, 3 s, ...).
            let listener = try TCPListener(binding: .ipv4Loopback(), backlog: 0)
            let port = listener.localAddress.port!
            var queued: [TCPStream] = []
            var timedOut = false
            for _ in 0..<4 where !timedOut {
                let start = ContinuousClock.now
                do {
                    queued.append(try await TCPStream.connect(to: listener.localAddress, timeout: .milliseconds(150)))
                } catch URingError.deadlineExceeded {
                    let waited = ContinuousClock.now - start
                    #expect(waited >= .milliseconds(150) && waited < .seconds(5))
                    timedOut = true
                }
            }
            #expect(timedOut, "every connect got through a full backlog")
            // The listener and the queued clients; the timed-out attempt's socket is closed.
            #expect(openSocketCount(onPort: port) == 1 + queued.count)
            for stream in queued { try await stream.close() }
            try await listener.close()
        }
    }
}
