// TCPListenerService (trait ServiceLifecycle): serves each connection with its handler
// and closes it after; on graceful shutdown it stops accepting at once, lets open
// connections finish within the grace period and cancels the rest; cancellation cancels
// them at once. Every wait is bounded by a generous hang watchdog, never by speed.

#if ServiceLifecycle
import Glibc
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing
import URing
import URingExecutor

/// How a connection's handler ended.
private enum HandlerEnd: Equatable, Sendable {
    case finished, endOfInput, cancelled, failed(String)
}

/// A one-shot signal a test opens and tasks wait for.
private final class Signal: Sendable {
    private let state = ThreadLock<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// Polls `condition` every 10 ms for up to 20 s (a hang watchdog, not a speed bound).
private func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<2_000 {
        if await condition() { return true }
        try? await URingRuntime.sleep(for: .milliseconds(10))
    }
    return false
}

/// Receives until the peer ends the connection; how it ended.
private func readUntilEnd(_ stream: TCPStream) async -> HandlerEnd {
    do {
        while try await stream.receive(maxCount: 64).count > 0 {}
        return .endOfInput
    } catch is CancellationError {
        return .cancelled
    } catch {
        return .failed("\(error)")
    }
}

/// Whether a connect to `address` is refused now (the listener no longer exists).
private func connectionRefused(_ address: SocketAddress) async -> Bool {
    do {
        let probe = try await TCPStream.connect(to: address)
        try? await probe.close()
        return false
    } catch let error as SocketError {
        return error.errno == .connectionRefused
    } catch {
        return false
    }
}

private let quietLogger: Logger = {
    var logger = Logger(label: "test.listener-service")
    logger.logLevel = .error
    return logger
}()

@Suite("TCPListenerService drains on graceful shutdown", .requiresIOURing)
struct TheListenerServiceDrainsOnGracefulShutdown {
    @Test("each connection runs the handler and is closed after it returns")
    func servesAndCloses() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let service = TCPListenerService(listener: listener, logger: quietLogger) { stream in
                let request = try await stream.receive(maxCount: 16)
                try await stream.send(request.reversed())
            }
            let running = Task(executorPreference: runtime.executor) { try await service.run() }
            for index in 0..<5 {
                let client = try await TCPStream.connect(to: listener.localAddress)
                try await client.send([UInt8(index), 100])
                #expect(try await client.receive(maxCount: 16) == [100, UInt8(index)])
                #expect(await readUntilEnd(client) == .endOfInput)  // the service closed it
                try await client.close()
            }
            running.cancel()
            try await running.value
            let listenerIsClosed = listener.isClosed
            #expect(listenerIsClosed)
        }
    }

    @Test("graceful shutdown refuses new connections at once while an open one finishes its answer")
    func stopsAcceptingAndLetsAnswersFinish() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            let requestArrived = Signal()
            let mayAnswer = Signal()
            let end = Shared<HandlerEnd?>(nil)
            let service = TCPListenerService(listener: listener, gracePeriod: .seconds(60), logger: quietLogger) { stream in
                do {
                    let request = try await stream.receive(maxCount: 16)
                    requestArrived.open()
                    await mayAnswer.wait()
                    try await stream.send(request)
                    end.update { $0 = .finished }
                } catch is CancellationError {
                    end.update { $0 = .cancelled }
                }
            }
            try await testGracefulShutdown { trigger in
                let running = Task(executorPreference: runtime.executor) { try await service.run() }
                let client = try await TCPStream.connect(to: address)
                try await client.send([1, 2, 3])
                await requestArrived.wait()
                trigger.triggerGracefulShutdown()
                #expect(await eventually { await connectionRefused(address) })
                mayAnswer.open()
                #expect(try await client.receive(maxCount: 16) == [1, 2, 3])
                try await running.value
                #expect(end.value == .finished)
                try await client.close()
            }
        }
    }

    @Test(".shutDownReads: a handler waiting for input sees its end at once, long before the grace period")
    func idleConnectionsSeeEndOfInput() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let ends = Shared<[HandlerEnd]>([])
            let started = Atomic<Int>(0)
            let service = TCPListenerService(listener: listener, gracePeriod: .seconds(3_600), logger: quietLogger) { stream in
                started.add(1, ordering: .relaxed)
                let end = await readUntilEnd(stream)
                ends.update { $0.append(end) }
            }
            try await testGracefulShutdown { trigger in
                let running = Task(executorPreference: runtime.executor) { try await service.run() }
                var clients: [TCPStream] = []
                for _ in 0..<3 { clients.append(try await TCPStream.connect(to: listener.localAddress)) }
                #expect(await eventually { started.load(ordering: .relaxed) == 3 })
                trigger.triggerGracefulShutdown()
                let stopped: Void? = try await withWatchdog(.seconds(30), "the drain of idle connections") {
                    try await running.value
                }
                #expect(stopped != nil)
                #expect(ends.value == [.endOfInput, .endOfInput, .endOfInput])
                for client in clients { try await client.close() }
            }
        }
    }

    @Test("a connection still open after the grace period is cancelled, and its client sees the end")
    func lateConnectionsAreCancelled() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let ends = Shared<[HandlerEnd]>([])
            let accepted = Signal()
            let service = TCPListenerService(
                listener: listener, gracePeriod: .milliseconds(200), drain: .notifyHandlers, logger: quietLogger
            ) { stream in
                accepted.open()
                let end = await readUntilEnd(stream)
                ends.update { $0.append(end) }
            }
            try await testGracefulShutdown { trigger in
                let running = Task(executorPreference: runtime.executor) { try await service.run() }
                let client = try await TCPStream.connect(to: listener.localAddress)
                await accepted.wait()
                trigger.triggerGracefulShutdown()
                try await running.value
                #expect(ends.value == [.cancelled])
                #expect(await readUntilEnd(client) == .endOfInput)
                try await client.close()
            }
        }
    }

    @Test("cancelling run() cancels open connections at once, without waiting for the grace period")
    func cancellationSkipsTheGracePeriod() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let ends = Shared<[HandlerEnd]>([])
            let accepted = Signal()
            let service = TCPListenerService(
                listener: listener, gracePeriod: .seconds(3_600), drain: .notifyHandlers, logger: quietLogger
            ) { stream in
                accepted.open()
                let end = await readUntilEnd(stream)
                ends.update { $0.append(end) }
            }
            let running = Task(executorPreference: runtime.executor) { try await service.run() }
            let client = try await TCPStream.connect(to: listener.localAddress)
            await accepted.wait()
            running.cancel()
            let stopped: Void? = try await withWatchdog(.seconds(30), "run() after cancellation") { try await running.value }
            #expect(stopped != nil)
            #expect(ends.value == [.cancelled])
            try await client.close()
        }
    }

    @Test("a connection accepted while maximumConnections are open is closed at once")
    func connectionsOverTheLimitAreClosed() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let served = Atomic<Int>(0)
            let service = TCPListenerService(listener: listener, maximumConnections: 1, logger: quietLogger) { stream in
                served.add(1, ordering: .relaxed)
                _ = await readUntilEnd(stream)
            }
            let running = Task(executorPreference: runtime.executor) { try await service.run() }
            let first = try await TCPStream.connect(to: listener.localAddress)
            #expect(await eventually { served.load(ordering: .relaxed) == 1 })
            let second = try await TCPStream.connect(to: listener.localAddress)
            #expect(await readUntilEnd(second) == .endOfInput)
            #expect(served.load(ordering: .relaxed) == 1)
            try await second.close()
            try await first.close()
            running.cancel()
            try await running.value
        }
    }
}
#endif
