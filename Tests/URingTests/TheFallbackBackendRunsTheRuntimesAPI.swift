// The runtime's public API on the forced fallback backend (the io_uring emulation):
// files, cancellation, deadlines, sleeps, TCP, multishot accept, UDP.

import Glibc
import Testing
import URing

/// Runs `body` on a runtime forced onto the fallback backend.
func withFallbackRuntime<Result: Sendable>(
    _ body: @Sendable (URingRuntime) async throws -> Result
) async throws -> Result {
    try await withRuntime({ $0.backend = .fallback }) { runtime in
        #expect(runtime.backend == .fallback)
        #expect(runtime.fallbackReason == nil)
        return try await body(runtime)
    }
}

@Suite("The fallback backend runs the runtime's API")
struct TheFallbackBackendRunsTheRuntimesAPI {
    @Test("a file written, synced, read back and removed")
    func fileRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.appending("round-trip")
        try await withFallbackRuntime { _ in
            let payload = randomBytes(300_000)
            let file = try await File.open(path, .readWrite, options: [.create], permissions: .ownerReadWrite)
            try await file.write(payload, at: 0)
            try await file.sync()
            #expect(try await file.read(count: payload.count, at: 0) == payload)
            #expect(try await file.read(count: 10, at: Int64(payload.count)) == [])
            #expect(try await file.status().size == Int64(payload.count))
            try await file.close()
            #expect(try await FileSystem.readAll(path) == payload)
            try await FileSystem.unlink(path)
            await #expect(throws: PathError(path: path, systemCall: "openat", errno: .noSuchFileOrDirectory)) {
                try await FileSystem.readAll(path)
            }
        }
    }

    @Test("cancelling a pending pipe read throws CancellationError and leaves the buffer untouched")
    func cancelPendingPipeRead() async throws {
        try await CancellingATaskCancelsItsOperation.cancelPendingRead { $0.backend = .fallback }
    }

    @Test("a pipe read past its deadline throws deadlineExceeded; one with data returns it")
    func deadline() async throws {
        try await DeadlinesCutOperationsShort.readPastDeadline { $0.backend = .fallback }
    }

    @Test("URingRuntime.sleep and Task.sleep wait at least as long as asked")
    func sleeps() async throws {
        try await withFallbackRuntime { _ in
            var start = ContinuousClock.now
            try await URingRuntime.sleep(for: .milliseconds(30))
            #expect(ContinuousClock.now - start >= .milliseconds(30))
            start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(30))
            #expect(ContinuousClock.now - start >= .milliseconds(30))
        }
    }

    @Test("TCP on 127.0.0.1: 50 connections each get their payload echoed")
    func tcpEcho() async throws {
        try await withFallbackRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            let server = Task(executorPreference: runtime.executor) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<50 {
                        let connection = try await listener.accept()
                        group.addTask { try await TCPStreamsEchoEveryByte.echo(connection) }
                    }
                    try await group.waitForAll()
                }
            }
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let payload = randomBytes(1_000 + index * 997)
                        return try await TCPStreamsEchoEveryByte.roundTrip(payload, to: address) == payload
                    }
                }
                for try await matched in group { #expect(matched) }
            }
            try await server.value
            try await listener.close()
        }
    }

    @Test("multishot accept delivers each connection, and closing the listener ends the iteration")
    func multishotAccept() async throws {
        try await withFallbackRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            let server = Task(executorPreference: runtime.executor) {
                var served = 0
                for try await connection in listener.connections {
                    try await TCPStreamsEchoEveryByte.echo(connection)
                    served += 1
                    if served == 5 { break }
                }
                return served
            }
            for index in 0..<5 {
                let payload = randomBytes(100 + index)
                #expect(try await TCPStreamsEchoEveryByte.roundTrip(payload, to: address) == payload)
            }
            #expect(try await server.value == 5)
            try await listener.close()
        }
    }

    @Test("a UDP datagram goes out and comes back with its sender's address")
    func udpRoundTrip() async throws {
        try await withFallbackRuntime { runtime in
            let server = try UDPSocket(binding: .ipv4Loopback())
            let client = try UDPSocket(binding: .ipv4Loopback())
            let echo = Task(executorPreference: runtime.executor) {
                let (bytes, sender) = try await server.receive(maxCount: 2048)
                try await server.send(bytes.reversed(), to: sender)
            }
            let payload = randomBytes(1200)
            try await client.send(payload, to: server.localAddress)
            let (reply, from) = try await URingRuntime.withTimeout(.seconds(5)) { try await client.receive(maxCount: 2048) }
            #expect(reply == payload.reversed())
            #expect(from == server.localAddress)
            try await echo.value
            try await client.close()
            try await server.close()
        }
    }

    @Test("a connect to a closed port fails with ECONNREFUSED")
    func connectRefused() async throws {
        try await withFallbackRuntime { _ in
            // Bind a port, then close it: nothing listens there now.
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            try await listener.close()
            await #expect(throws: SocketError(address: address, systemCall: "connect", errno: .connectionRefused)) {
                _ = try await TCPStream.connect(to: address)
            }
        }
    }
}
