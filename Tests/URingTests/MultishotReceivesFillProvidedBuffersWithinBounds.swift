// Stream receives through a multishot recv with the worker ring's provided buffers.

import Glibc
import Testing
import URing

@Suite("Multishot receive with provided buffers", .requiresIOURingBackend)
struct MultishotReceivesFillProvidedBuffersWithinBounds {
    /// Sums a counter over every driver of `runtime`.
    static func total(_ runtime: URingRuntime, _ counter: (DriverStatistics) -> Int) async -> Int {
        await runtime.statistics().map(counter).reduce(0, +)
    }

    /// A connected pair on loopback: (the accepted side, the connecting side).
    static func connectedPair() async throws -> (server: TCPStream, client: TCPStream, listener: TCPListener) {
        let listener = try TCPListener(binding: .ipv4Loopback())
        async let accepted = listener.accept()
        let client = try await TCPStream.connect(to: listener.localAddress)
        return (try await accepted, client, listener)
    }

    @Test("receives on a worker use the ring's buffer pool, and the bytes arrive exactly")
    func usesThePool() async throws {
        try await withRuntime { runtime in
            let (server, client, listener) = try await Self.connectedPair()
            let payload = randomBytes(300_000)
            async let sent: Void = server.send(payload)
            var received: [UInt8] = []
            while received.count < payload.count {
                received += try await client.receive(maxCount: 7_000)
            }
            try await sent
            #expect(received == payload)
            let statistics = await runtime.statistics()
            #expect(statistics.contains { $0.providedBuffersRegistered }, "no ring set up a provided-buffer pool")
            for stream in [server, client] { try await stream.close() }
            try await listener.close()
        }
    }

    @Test("with a one-buffer pool the ring runs dry; receives fall back to plain recv and every byte arrives")
    func exhaustedPoolFallsBack() async throws {
        let result = try await withRuntime({ $0.receiveBufferPool = ReceiveBufferPoolConfiguration(count: 1, bufferSize: 512) }) { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback(), backlog: 64)
            let server = Task(executorPreference: runtime.executor) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<16 {
                        let connection = try await listener.accept()
                        group.addTask { try await TCPStreamsEchoEveryByte.echo(connection) }
                    }
                    try await group.waitForAll()
                }
            }
            let matched = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let payload = randomBytes(20_000 + index * 3_001)
                        return try await TCPStreamsEchoEveryByte.roundTrip(payload, to: listener.localAddress) == payload
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try await server.value
            try await listener.close()
            return (matched, await Self.total(runtime) { $0.receiveBufferExhaustions })
        }
        #expect(result.0 == 16)
        #expect(result.1 > 0, "the pool never ran dry, so the fallback was not exercised")
    }

    @Test("a reader that stops reading holds at most the pool; other streams keep working; then every byte arrives in order")
    func slowReaderHoldsBoundedBuffers() async throws {
        let pool = ReceiveBufferPoolConfiguration(count: 64, bufferSize: 4_096)
        try await withRuntime({ $0.receiveBufferPool = pool }) { runtime in
            let (server, client, listener) = try await Self.connectedPair()
            // One receive arms the multishot receive; then the reader pauses.
            try await server.send([42])
            #expect(try await client.receive(maxCount: 1) == [42])
            let payload = (0..<8_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
            let sent = Shared(0)
            let sender = Task(executorPreference: runtime.executor) {
                var offset = 0
                while offset < payload.count {
                    let end = min(offset + 65_536, payload.count)
                    try await server.send(Array(payload[offset..<end]))
                    offset = end
                    sent.update { $0 = offset }
                }
                try await server.shutdown(.write)
            }
            // Wait (30 s is a hang watchdog) until the paused stream holds pool buffers.
            var held = 0
            let watchdog = ContinuousClock.now + .seconds(30)
            while held == 0 && ContinuousClock.now < watchdog {
                try await URingRuntime.sleep(for: .milliseconds(10))
                held = await Self.total(runtime) { $0.providedBuffersInUse }
            }
            let stalledAt = sent.value
            // The kernel fills buffers greedily until the pool is empty; then the socket
            // buffers fill and TCP stops the sender. Memory is bounded by the pool.
            #expect(held > 0, "the paused stream took no buffer from the pool")
            #expect(held <= pool.count * 2, "a paused reader holds \(held) buffers")  // two workers, one pool each
            #expect(stalledAt < payload.count, "the sender finished although nobody read")
            // Another connection on the same runtime still echoes exactly meanwhile.
            let (otherServer, otherClient, otherListener) = try await Self.connectedPair()
            let echo = Task(executorPreference: runtime.executor) { try await TCPStreamsEchoEveryByte.echo(otherServer) }
            let otherPayload = randomBytes(200_000)
            #expect(try await TCPStreamsEchoEveryByte.roundTrip(otherPayload, over: otherClient) == otherPayload)
            try await echo.value
            try await otherClient.close()
            try await otherListener.close()
            var received: [UInt8] = []
            received.reserveCapacity(payload.count)
            while true {
                let bytes = try await client.receive(maxCount: 100_000)
                if bytes.isEmpty { break }
                received += bytes
            }
            try await sender.value
            #expect(received.count == payload.count)
            #expect(received == payload)
            for stream in [server, client] { try await stream.close() }
            try await listener.close()
            #expect(await Self.total(runtime) { $0.providedBuffersInUse } == 0)
        }
    }

    @Test("a cancelled receive loses nothing: bytes that arrive later go to the next receive")
    func cancelledReceiveKeepsBytes() async throws {
        try await withRuntime { runtime in
            let (server, client, listener) = try await Self.connectedPair()
            try await server.send([1])
            #expect(try await client.receive(maxCount: 1) == [1])  // armed from here on
            let waiting = Task(executorPreference: runtime.executor) { try await client.receive(maxCount: 10) }
            try await URingRuntime.sleep(for: .milliseconds(50))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            try await server.send([2, 3, 4])
            var received: [UInt8] = []
            while received.count < 3 { received += try await client.receive(maxCount: 10) }
            #expect(received == [2, 3, 4])
            for stream in [server, client] { try await stream.close() }
            try await listener.close()
        }
    }

    @Test("closing a stream with a receive armed and bytes queued returns, closes the socket and gives every buffer back")
    func closeWithReceiveArmed() async throws {
        try await withRuntime { runtime in
            let (server, client, listener) = try await Self.connectedPair()
            try await server.send([1])
            #expect(try await client.receive(maxCount: 1) == [1])
            try await server.send(randomBytes(10_000))  // queued, never read
            try await URingRuntime.sleep(for: .milliseconds(50))
            let port = Int(listener.localAddress.port ?? 0)
            #expect(openSocketCount(onPort: port) == 3)  // listener, server, client
            try await client.close()
            #expect(openSocketCount(onPort: port) == 2)
            await #expect(throws: URingError.closed) { _ = try await client.receive(maxCount: 1) }
            #expect(await Self.total(runtime) { $0.providedBuffersInUse } == 0)
            try await server.close()
            try await listener.close()
        }
    }

    @Test("count 0 turns multishot receives off; receives still work")
    func turnedOff() async throws {
        try await withRuntime({ $0.receiveBufferPool = ReceiveBufferPoolConfiguration(count: 0) }) { runtime in
            let (server, client, listener) = try await Self.connectedPair()
            let echo = Task(executorPreference: runtime.executor) { try await TCPStreamsEchoEveryByte.echo(server) }
            let payload = randomBytes(50_000)
            #expect(try await TCPStreamsEchoEveryByte.roundTrip(payload, over: client) == payload)
            try await echo.value
            try await client.close()
            try await listener.close()
            #expect(await runtime.statistics().allSatisfy { !$0.providedBuffersRegistered })
        }
    }

    @Test("invalid pool shapes are typed errors at init", arguments: [(3, 4096), (-1, 4096), (65_536, 4096), (8, 0)])
    func invalidShapes(count: Int, size: Int) {
        var configuration = URingRuntime.Configuration(workers: 1)
        configuration.receiveBufferPool = ReceiveBufferPoolConfiguration(count: count, bufferSize: size)
        #expect(throws: URingError.self) { _ = try URingRuntime(configuration) }
    }
}
