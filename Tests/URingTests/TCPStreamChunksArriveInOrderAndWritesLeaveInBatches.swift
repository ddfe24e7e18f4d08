import Glibc
import Testing
import URing

@Suite("inboundChunks hands out every byte in order until end of stream; withWriter batches writes and holds writers back", .requiresIOURing)
struct TCPStreamChunksArriveInOrderAndWritesLeaveInBatches {
    static func connectedPair() async throws -> (server: TCPStream, client: TCPStream, listener: TCPListener) {
        let listener = try TCPListener(binding: .ipv4Loopback())
        async let accepted = listener.accept()
        let client = try await TCPStream.connect(to: listener.localAddress)
        return (try await accepted, client, listener)
    }

    static func total(_ runtime: URingRuntime, _ counter: (DriverStatistics) -> Int) async -> Int {
        await runtime.statistics().map(counter).reduce(0, +)
    }

    @Test("1 MiB sent in uneven pieces arrives whole, in chunks no larger than asked; the pool's buffers all come back")
    func inboundInOrder() async throws {
        let payload = randomBytes(1 << 20)
        try await withRuntime { runtime in
            let (server, client, listener) = try await Self.connectedPair()
            let port = listener.localAddress.port ?? 0
            async let sent: Void = {
                var offset = 0, step = 1
                while offset < payload.count {
                    let end = min(payload.count, offset + step)
                    try await server.send(Array(payload[offset..<end]))
                    offset = end
                    step = step * 3 % 100_003 + 1
                }
                try await server.shutdown(.write)
            }()
            var received: [UInt8] = []
            var largest = 0
            for try await chunk in try client.inboundChunks(maximumChunkSize: 10_000) {
                largest = max(largest, chunk.count)
                received += chunk
            }
            try await sent
            #expect(received == payload)
            #expect(largest <= 10_000 && largest > 0)
            #expect(throws: URingError.invalidArgument("maximumChunkSize must lie in 1...67108864, got 0")) {
                try client.inboundChunks(maximumChunkSize: 0)
            }
            for stream in [server, client] { try await stream.close() }
            try await listener.close()
            // Buffers come back on their own ring's thread, as it next polls: wait for that
            // (watchdog 30 s; CI once read 1 still out right after the closes).
            var inUse = await Self.total(runtime) { $0.providedBuffersInUse }
            let watchdog = ContinuousClock.now + .seconds(30)
            while inUse != 0 && ContinuousClock.now < watchdog {
                try await URingRuntime.sleep(for: .milliseconds(10))
                inUse = await Self.total(runtime) { $0.providedBuffersInUse }
            }
            #expect(inUse == 0)
            #expect(openSocketCount(onPort: port) == 0)
        }
    }

    @Test("small writes made while a large send waits on a full socket leave in one batch")
    func writesBatch() async throws {
        let large = (0..<(16 << 20)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
        let small = (0..<100).map { [UInt8](repeating: UInt8($0), count: 10) }
        try await withRuntime { _ in
            let (server, client, listener) = try await Self.connectedPair()
            async let received: (count: Int, tail: [UInt8]) = {
                // Read nothing until every write was queued, so the large send sits in the kernel.
                try await URingRuntime.sleep(for: .milliseconds(200))
                var count = 0
                var tail: [UInt8] = []
                for try await chunk in try client.inboundChunks() {
                    count += chunk.count
                    tail = Array((tail + chunk).suffix(1000))
                }
                return (count, tail)
            }()
            let statistics = try await server.withWriter(highWater: 1 << 20) { writer in
                try await writer.write(large)
                for piece in small { try await writer.write(piece) }
                try await writer.flush()
                return writer.statistics
            }
            try await server.shutdown(.write)
            let (count, tail) = try await received
            #expect(count == large.count + 1000)
            #expect(tail == small.flatMap { $0 })
            #expect(statistics.writes == 101)
            #expect(statistics.sends <= 2, "\(statistics.sends) sends for 101 writes")
            #expect(statistics.bytesSent == large.count + 1000)
            for stream in [server, client] { try await stream.close() }
            try await listener.close()
        }
    }

    @Test("writers wait once highWater bytes are pending: 32 MiB to a paused reader never queue more than highWater plus a write")
    func backPressure() async throws {
        let piece = randomBytes(64 * 1024)
        try await withRuntime { _ in
            let (server, client, listener) = try await Self.connectedPair()
            async let received: Int = {
                try await URingRuntime.sleep(for: .milliseconds(300))
                var count = 0
                for try await chunk in try client.inboundChunks() {
                    if count == 0 { #expect(chunk == Array(piece.prefix(chunk.count))) }
                    count += chunk.count
                }
                return count
            }()
            let statistics = try await server.withWriter(highWater: 128 * 1024) { writer in
                for _ in 0..<512 { try await writer.write(piece) }
                return writer.statistics
            }
            try await server.shutdown(.write)
            #expect(try await received == 512 * piece.count)
            #expect(statistics.mostPending <= 128 * 1024 + piece.count)
            for stream in [server, client] { try await stream.close() }
            try await listener.close()
        }
    }

    @Test("a send error reaches later writes and withWriter; a body's error is rethrown; bad highWater is refused")
    func errors() async throws {
        try await withRuntime { _ in
            let (server, client, listener) = try await Self.connectedPair()
            try setResetOnClose(client.descriptor)
            try await client.close()
            let failure = await #expect(throws: (any Error).self) {
                try await server.withWriter { writer in
                    for _ in 0..<10_000 {
                        try await writer.write([UInt8](repeating: 1, count: 4096))
                        try await writer.flush()
                    }
                }
            }
            let errno = failure as? Errno
            #expect(errno == .connectionReset || errno == .brokenPipe, "\(String(describing: failure))")
            struct BodyFailed: Error, Equatable {}
            await #expect(throws: BodyFailed()) { try await server.withWriter { _ in throw BodyFailed() } }
            await #expect(throws: URingError.invalidArgument("highWater must be at least 1, got 0")) {
                try await server.withWriter(highWater: 0) { _ in }
            }
            try await server.close()
            try await listener.close()
        }
    }
}
