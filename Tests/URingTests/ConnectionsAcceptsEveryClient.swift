import Testing
import URing

@Suite("Multishot accept: TCPListener.connections", .requiresIOURing)
struct ConnectionsAcceptsEveryClient {
    /// Waits (bounded) until `port` has `expected` descriptors open; returns the last count.
    static func settle(port: Int, to expected: Int) async throws -> Int {
        var count = openSocketCount(onPort: port)
        for _ in 0..<200 where count != expected {
            try await URingRuntime.sleep(for: .milliseconds(10))
            count = openSocketCount(onPort: port)
        }
        return count
    }

    @Test("one iteration accepts 50 connections, each with its own bytes")
    func acceptsManyConnections() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback(), backlog: 128)
            let server = Task(executorPreference: runtime.executor) {
                var seen: [UInt8] = []
                for try await connection in listener.connections {
                    seen += try await connection.receive(maxCount: 1)
                    try await connection.close()
                    if seen.count == 50 { break }
                }
                return seen.sorted()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let client = try await TCPStream.connect(to: listener.localAddress)
                        try await client.send([UInt8(index)])
                        _ = try await client.receive(maxCount: 1)  // EOF once the server closed
                        try await client.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await server.value == (0..<50).map { UInt8($0) })
            try await listener.close()
        }
    }

    @Test("cancelling a task waiting in the iteration throws CancellationError, leaks nothing, and disarms the accept")
    func cancelPendingIteration() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let port = listener.localAddress.port!
            let consumer = Task(executorPreference: runtime.executor) {
                for try await connection in listener.connections { try await connection.close() }
            }
            try await URingRuntime.sleep(for: .milliseconds(30))
            consumer.cancel()
            await #expect(throws: CancellationError.self) { try await consumer.value }
            #expect(openSocketCount(onPort: port) == 1)
            // The multishot accept left the kernel: a new connection waits for a plain accept.
            try await URingRuntime.sleep(for: .milliseconds(20))
            let client = try await TCPStream.connect(to: listener.localAddress)
            let server = try await URingRuntime.withTimeout(.seconds(5)) { try await listener.accept() }
            try await client.send([7])
            #expect(try await server.receive(maxCount: 1) == [7])
            try await client.close()
            try await server.close()
            try await listener.close()
            #expect(try await Self.settle(port: port, to: 0) == 0)
        }
    }

    @Test("connections that arrive after the consumer stopped iterating are closed, not leaked")
    func connectionsAfterBreakAreClosed() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback(), backlog: 128)
            let port = listener.localAddress.port!
            let consumer = Task(executorPreference: runtime.executor) {
                for try await connection in listener.connections {
                    try await connection.close()
                    break
                }
            }
            let clients = try await withThrowingTaskGroup(of: TCPStream.self) { group in
                for _ in 0..<40 { group.addTask { try await TCPStream.connect(to: listener.localAddress) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await consumer.value
            for client in clients { try await client.close() }
            // Whatever the multishot accept took after the break, the driver closed.
            #expect(try await Self.settle(port: port, to: 1) == 1)
            try await listener.close()
            #expect(try await Self.settle(port: port, to: 0) == 0)
        }
    }

    @Test("closing the listener ends a waiting iteration with nil")
    func closeEndsIteration() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let consumer = Task(executorPreference: runtime.executor) {
                var count = 0
                for try await connection in listener.connections {
                    count += 1
                    try await connection.close()
                }
                return count
            }
            try await URingRuntime.sleep(for: .milliseconds(30))
            try await URingRuntime.withTimeout(.seconds(5)) { try await listener.close() }
            #expect(try await consumer.value == 0)
        }
    }

    @Test("a runtime shutdown ends a waiting iteration with URingError.shutdown")
    func shutdownEndsIteration() async throws {
        let runtime = try URingRuntime(.init(workers: 2))
        let listener = try TCPListener(binding: .ipv4Loopback())
        let consumer = Task(executorPreference: runtime.executor) {
            for try await connection in listener.connections { try await connection.close() }
        }
        try await Task.sleep(for: .milliseconds(30))
        await runtime.shutdown()
        await #expect(throws: URingError.shutdown) { try await consumer.value }
        try? await listener.close()
    }
}
