import Testing
import URing

@Suite("TCP echo", .requiresIOURing)
struct TCPStreamsEchoEveryByte {
    /// Echoes everything a connection sends until it shuts its side down.
    static func echo(_ connection: TCPStream) async throws {
        while true {
            let bytes = try await connection.receive(maxCount: 4096)
            if bytes.isEmpty { break }
            try await connection.send(bytes)
        }
        try await connection.close()
    }

    /// Connects to `address`, round-trips `payload`, and closes the connection.
    static func roundTrip(_ payload: [UInt8], to address: SocketAddress) async throws -> [UInt8] {
        let client = try await TCPStream.connect(to: address)
        let echoed = try await roundTrip(payload, over: client)
        try await client.close()
        return echoed
    }

    /// Serves the first connection `listener`'s multishot accept delivers with `echo`, on
    /// `runtime`, while a client round-trips `payload` to it; returns what came back once
    /// the server is done.
    static func echoFirstConnection(
        of listener: TCPListener, on runtime: URingRuntime, _ payload: [UInt8]
    ) async throws -> [UInt8] {
        let server = Task(executorPreference: runtime.executor) {
            for try await connection in listener.connections {
                try await echo(connection)
                return
            }
        }
        let echoed = try await roundTrip(payload, to: listener.localAddress)
        try await server.value
        return echoed
    }

    /// Sends `payload` on `client`, half-closes, and reads back until EOF.
    static func roundTrip(_ payload: [UInt8], over client: TCPStream) async throws -> [UInt8] {
        async let sent: Void = {
            try await client.send(payload)
            try await client.shutdown(.write)
        }()
        var echoed: [UInt8] = []
        while echoed.count <= payload.count {
            let bytes = try await client.receive(maxCount: 65_536)
            if bytes.isEmpty { break }
            echoed += bytes
        }
        try await sent
        return echoed
    }

    @Test("200 concurrent connections each get their random payload echoed byte for byte")
    func twoHundredConnections() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback(), backlog: 512)
            let server = Task(executorPreference: runtime.executor) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<200 {
                        let connection = try await listener.accept()
                        group.addTask { try await Self.echo(connection) }
                    }
                    try await group.waitForAll()
                }
            }
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let payload = randomBytes(1 + (index * 7_919) % 100_000)
                        return try await Self.roundTrip(payload, to: listener.localAddress) == payload
                    }
                }
                var mismatches = 0
                for try await matched in group where !matched { mismatches += 1 }
                return mismatches
            }
            #expect(mismatches == 0)
            try await server.value
            try await listener.close()
        }
    }

    @Test("an echo over IPv6 loopback returns the exact bytes")
    func echoOverIPv6() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv6Loopback())
            #expect(listener.localAddress.family == .ipv6)
            let server = Task(executorPreference: runtime.executor) { try await Self.echo(try await listener.accept()) }
            let payload = randomBytes(100_000)
            #expect(try await Self.roundTrip(payload, to: listener.localAddress) == payload)
            try await server.value
            try await listener.close()
        }
    }
}
