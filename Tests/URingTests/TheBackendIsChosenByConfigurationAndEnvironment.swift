// How a runtime picks its backend: the configuration, SWIFT_URING_BACKEND, and what
// `.automatic` does when io_uring cannot be set up. The environment variable is set
// only inside exit-test children: setting it here would change every other test.

import Glibc
import Testing
@_spi(URingInternals) @testable import URing

@Suite("Choosing the backend")
struct TheBackendIsChosenByConfigurationAndEnvironment {
    @Test(".ioURing where setup fails throws the typed error, even with SWIFT_URING_BACKEND set")
    func requiredIOURingThrows() {
        var configuration = URingRuntime.Configuration(workers: 1, backend: .ioURing)
        configuration.ringFaults = RingFaults(setupError: .notPermitted)
        #expect {
            _ = try URingRuntime(configuration)
        } throws: { error in
            (error as? URingUnavailableError)?.reason == .blockedByPolicy
        }
    }

    @Test(".automatic where setup fails runs on the fallback and keeps the reason")
    func automaticFallsBack() async throws {
        if let forced = getenv(URingRuntime.Backend.environmentVariable) {
            // SWIFT_URING_BACKEND decides for `.automatic`; the seccomp exit tests cover this.
            print("automaticFallsBack: \(URingRuntime.Backend.environmentVariable)=\(String(cString: forced)) decides instead")
        }
        try await withRuntime({ $0.ringFaults = RingFaults(setupError: .notPermitted) }) { runtime in
            #expect(runtime.backend == .fallback)
            if getenv(URingRuntime.Backend.environmentVariable) == nil {
                #expect(runtime.fallbackReason?.reason == .blockedByPolicy)
            }
            let payload = randomBytes(10_000)
            let directory = try TemporaryDirectory()
            try await FileSystem.write(contentsOf: payload, to: directory.appending("f"))
            #expect(try await FileSystem.readAll(directory.appending("f")) == payload)
        }
    }

    @Test("the fallback notice logs the first reason only, naming the cause and the switch")
    func noticeLogsOnce() {
        let messages = Shared<[String]>([])
        let notice = FallbackNotice()
        let log: (String) -> Void = { message in messages.update { $0.append(message) } }
        #expect(notice.report(URingUnavailableError(errno: .notPermitted, ioUringDisabledSysctl: 0), log: log))
        #expect(!notice.report(URingUnavailableError(errno: .noFunction, ioUringDisabledSysctl: 0), log: log))
        #expect(messages.value.count == 1)
        let message = messages.value.first ?? ""
        #expect(message.contains("seccomp"))
        #expect(message.contains("SWIFT_URING_BACKEND"))
    }

    @Test("SWIFT_URING_BACKEND=fallback forces the fallback for .automatic; an explicit .ioURing wins")
    func environmentForcesFallback() async {
        await #expect(processExitsWith: .success) {
            setenv("SWIFT_URING_BACKEND", "fallback", 1)
            guard let forced = try? URingRuntime(URingRuntime.Configuration(workers: 1)) else { exit(2) }
            guard forced.backend == .fallback, forced.fallbackReason == nil else { exit(3) }
            await forced.shutdown()
            if IOURingAvailability.setupError == nil {
                guard let explicit = try? URingRuntime(URingRuntime.Configuration(workers: 1, backend: .ioURing))
                else { exit(4) }
                guard explicit.backend == .ioURing else { exit(5) }
                await explicit.shutdown()
            }
            exit(0)
        }
    }

    @Test("an invalid SWIFT_URING_BACKEND is a typed error naming the variable")
    func invalidEnvironmentValue() async {
        await #expect(processExitsWith: .success) {
            setenv("SWIFT_URING_BACKEND", "epoll", 1)
            do {
                _ = try URingRuntime(URingRuntime.Configuration(workers: 1))
                exit(2)
            } catch let URingError.invalidArgument(detail) {
                exit(detail.contains("SWIFT_URING_BACKEND") && detail.contains("epoll") ? 0 : 3)
            } catch {
                exit(4)
            }
        }
    }
}
