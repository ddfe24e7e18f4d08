// URingRuntime as a swift-service-lifecycle Service (trait ServiceLifecycle): `run()`
// waits for graceful shutdown or cancellation, then shuts the runtime down; in a
// ServiceGroup it stops after the services listed behind it.
// Expectations read the runtime's state into a Bool first: Swift Testing reflects the
// operands of a failed expectation, and reflecting a URingRuntime (its locks hold
// noncopyable-generic state) traps instead of reporting the failure.

#if ServiceLifecycle
import Glibc
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import URing

@Suite("URingRuntime runs as a Service until shutdown", .requiresIOURing)
struct TheRuntimeRunsAsAServiceUntilShutdown {
    @Test("run() keeps the runtime up until graceful shutdown, then shuts it down; an operation in flight ends with URingError.shutdown")
    func gracefulShutdownShutsTheRuntimeDown() async throws {
        let runtime = try URingRuntime(URingRuntime.Configuration(workers: 1))
        let pipe = try Pipe()
        try await testGracefulShutdown { trigger in
            let service = Task { try await runtime.run() }
            let read = Task(executorPreference: runtime.executor) {
                try await File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue))).read(count: 1, at: 0)
            }
            // Give run() time to start (not a speed bound: the next checks hold for any delay).
            try await Task.sleep(for: .milliseconds(50))
            let runtimeIsShutDown = runtime.isShutDown
            #expect(!runtimeIsShutDown)
            trigger.triggerGracefulShutdown()
            try await service.value
            guard runtime.isShutDown else {
                Issue.record("run() returned without shutting the runtime down")
                read.cancel()
                return
            }
            await #expect(throws: URingError.shutdown) { try await read.value }
        }
    }

    @Test("cancelling run() shuts the runtime down too")
    func cancellationShutsTheRuntimeDown() async throws {
        let runtime = try URingRuntime(URingRuntime.Configuration(workers: 1))
        let service = Task { try await runtime.run() }
        try await Task.sleep(for: .milliseconds(20))
        let upBeforeCancel = !runtime.isShutDown
        #expect(upBeforeCancel)
        service.cancel()
        try await service.value
        let downAfterCancel = runtime.isShutDown
        #expect(downAfterCancel)
    }

    @Test("a ServiceGroup of the runtime and a listener service stops in reverse order on graceful shutdown")
    func groupStopsListenerThenRuntime() async throws {
        var configuration = URingRuntime.Configuration(workers: 2)
        configuration.logger.logLevel = .error
        let runtime = try URingRuntime(configuration)
        let listener = try TCPListener(binding: .ipv4Loopback())
        let runtimeWasUpWhenHandlerEnded = Shared<Bool?>(nil)
        let server = TCPListenerService(listener: listener, runtime: runtime, logger: Logger(label: "test")) { stream in
            let request = try await stream.receive(maxCount: 5)
            try await stream.send(request)
            // Still open when shutdown begins: the drain (SHUT_RD) ends this loop.
            while try await stream.receive(maxCount: 16).count > 0 {}
            runtimeWasUpWhenHandlerEnded.update { $0 = !runtime.isShutDown }
        }
        let group = ServiceGroup(services: [runtime, server], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        // The client runs on the runtime too: a remote call could meet another test's runtime.
        let client = try await Task(executorPreference: runtime.executor) {
            let client = try await TCPStream.connect(to: listener.localAddress)
            try await client.send(Array("hello".utf8))
            #expect(try await client.receive(maxCount: 5) == Array("hello".utf8))
            return client
        }.value
        await group.triggerGracefulShutdown()
        try await running.value
        let runtimeIsShutDown = runtime.isShutDown
        #expect(runtimeIsShutDown)
        let listenerIsClosed = listener.isClosed
        #expect(listenerIsClosed)
        #expect(runtimeWasUpWhenHandlerEnded.value == true)
        try? await client.close()
    }
}
#endif
