// Every report the runtime makes goes to the application's logger: the one in the
// configuration, the one handed over with `useLogger`, or, when neither, the handler the
// application bootstrapped, even if the runtime started before `LoggingSystem.bootstrap`
// (as the process default does, before `main`). The fallback warning is logged once per
// process and `LoggingSystem.bootstrap` works once per process, so each test is an exit
// test: a child process that checks and exits non-zero, naming the mismatch, on failure.
// The fallback is forced with a ring fault that makes io_uring's setup fail with EPERM.

import Glibc
import Logging
import Testing
import URingExecutor
@_spi(URingInternals) @testable import URing

/// Messages logged through `CapturingLogHandler`s in this (child) process.
private let capturedMessages = ThreadLock<[String]>([])

/// Ends the child with `message` on stderr and status 1.
private func loggingChildFails(_ message: String) -> Never {
    writeAll("logging child: \(message); captured: \(capturedMessages.withLock { $0 })\n", to: STDERR_FILENO)
    exit(1)
}

/// Waits (up to a generous hang watchdog) until a captured message contains `text`.
private func waitForCapturedMessage(containing text: String) -> Bool {
    for _ in 0..<2_000 {
        if capturedMessages.withLock({ $0.contains { $0.contains(text) } }) { return true }
        usleep(10_000)
    }
    return false
}

/// A one-worker configuration whose rings cannot be set up, so `.automatic` falls back.
private func failingIOURingConfiguration() -> URingRuntime.Configuration {
    // scripts/test-fallback sets SWIFT_URING_BACKEND=fallback, which skips `.automatic`.
    unsetenv(URingRuntime.Backend.environmentVariable)
    var configuration = URingRuntime.Configuration(workers: 1)
    configuration.ringFaults = RingFaults(setupError: .notPermitted)
    return configuration
}

private let fallbackWarning = "swift-uring runs on its fallback backend"

@Suite("The runtime logs through the application's logger")
struct TheRuntimeLogsThroughTheApplicationsLogger {
    @Test("the fallback warning goes to Configuration.logger")
    func fallbackWarningGoesToTheConfiguredLogger() async {
        await #expect(processExitsWith: .success) {
            var configuration = failingIOURingConfiguration()
            configuration.logger = Logger(label: "app") { _ in CapturingLogHandler(messages: capturedMessages) }
            guard let runtime = try? URingRuntime(configuration) else { loggingChildFails("the runtime did not start") }
            guard runtime.backend == .fallback else { loggingChildFails("no fallback") }
            guard waitForCapturedMessage(containing: fallbackWarning) else { loggingChildFails("no warning on the logger") }
            await runtime.shutdown()
            exit(0)
        }
    }

    @Test("a runtime created before LoggingSystem.bootstrap reports stalls through the handler bootstrapped later")
    func reportsFollowALaterBootstrap() async {
        await #expect(processExitsWith: .success) {
            var configuration = URingRuntime.Configuration(workers: 1)
            configuration.stallThreshold = .milliseconds(20)
            guard let runtime = try? URingRuntime(configuration) else { loggingChildFails("the runtime did not start") }
            LoggingSystem.bootstrap { _ in CapturingLogHandler(messages: capturedMessages) }
            await Task(executorPreference: runtime.executor) { _ = usleep(80_000) }.value
            guard waitForCapturedMessage(containing: "blocked worker") else { loggingChildFails("no stall report") }
            await runtime.shutdown()
            exit(0)
        }
    }

    @Test("the process-default runtime holds its fallback warning until the application bootstraps logging")
    func processDefaultHoldsItsWarningForTheBootstrappedHandler() async {
        await #expect(processExitsWith: .success) {
            // As URingRuntimeFactory makes it, before `main`.
            guard let runtime = try? URingRuntime(failingIOURingConfiguration(), isProcessDefault: true),
                  runtime.backend == .fallback
            else { loggingChildFails("no fallback") }
            // `main` bootstraps logging first thing; the warning is released a second after start.
            LoggingSystem.bootstrap { _ in CapturingLogHandler(messages: capturedMessages) }
            guard waitForCapturedMessage(containing: fallbackWarning) else { loggingChildFails("no warning") }
            exit(0)
        }
    }

    @Test("reports still held when the process exits are logged at exit, through the handler bootstrapped by then")
    func heldReportsAreLoggedAtExit() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let runtime = try? URingRuntime(
                failingIOURingConfiguration(), isProcessDefault: true, heldReportsDelay: .seconds(3_600)),
                  runtime.backend == .fallback
            else { loggingChildFails("no fallback") }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.metadata = ["bootstrapped": "yes"]
                return handler
            }
            exit(0)
        }
        let output = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(output.contains(fallbackWarning), "child's stderr: \(output)")
        #expect(output.contains("bootstrapped=yes"), "child's stderr: \(output)")
    }

    @Test("useLogger hands the process-default runtime's held warning, and later reports, to that logger")
    func useLoggerTakesTheHeldWarning() async {
        await #expect(processExitsWith: .success) {
            var configuration = failingIOURingConfiguration()
            configuration.stallThreshold = .milliseconds(20)
            // Held for an hour: only the hand-over can release the warning here.
            guard let runtime = try? URingRuntime(configuration, isProcessDefault: true, heldReportsDelay: .seconds(3_600)),
                  runtime.backend == .fallback
            else { loggingChildFails("no fallback") }
            // No bootstrap: only the handed-over logger can capture.
            runtime.useLogger(Logger(label: "app") { _ in CapturingLogHandler(messages: capturedMessages) })
            guard capturedMessages.withLock({ $0.contains { $0.contains(fallbackWarning) } }) else {
                loggingChildFails("the held warning was not handed over at once")
            }
            await Task(executorPreference: runtime.executor) { _ = usleep(80_000) }.value
            guard waitForCapturedMessage(containing: "blocked worker") else { loggingChildFails("no stall report") }
            exit(0)
        }
    }
}
