// Whether this machine lets the test process use io_uring, and why not.
//
// Two traits:
// - `.requiresRealRing` for suites that drive a bare `Ring` (kernel behaviour: probes,
//   overflow, enter faults): skipped, with the typed error's message as the reason,
//   where io_uring cannot be set up (seccomp, old kernel, sysctl).
// - `.requiresIOURingBackend` for runtime suites that test what only io_uring has
//   (provided-buffer rings, recovery from CQEs the kernel dropped): skipped, with the
//   reason, when the default runtime runs on the fallback.
// - `.requiresIOURing` for suites that test the runtime's public API: they run on
//   whichever backend a default runtime picks (io_uring, or the epoll/thread-pool
//   fallback when io_uring is blocked or SWIFT_URING_BACKEND=fallback), and are
//   skipped, with the reason, only when no runtime can be built at all (for example
//   SWIFT_URING_BACKEND=io_uring where io_uring is blocked).

import Testing
@_spi(URingInternals) import URing

enum IOURingAvailability {
    /// Why a bare io_uring cannot be set up in this process, or nil if it can.
    static let setupError: URingUnavailableError? = {
        do throws(URingUnavailableError) {
            _ = try Ring(options: RingOptions(submissionQueueEntries: 2))
            return nil
        } catch {
            return error
        }
    }()

    /// Why a runtime with the default configuration cannot start here, or nil if it can;
    /// also reports which backend it picked.
    static let runtimeProbe: (error: String?, backend: URingRuntime.Backend?) = {
        do {
            let runtime = try URingRuntime(URingRuntime.Configuration(workers: 1))
            let backend = runtime.backend
            runtime.shutdown()
            return (nil, backend)
        } catch {
            return ("no runtime can be built here: \(error)", nil)
        }
    }()
}

extension Trait where Self == ConditionTrait {
    /// Skips the suite, printing the reason, when no runtime (io_uring or fallback) can
    /// be built with the default configuration.
    static var requiresIOURing: Self {
        .enabled(
            if: IOURingAvailability.runtimeProbe.error == nil,
            Comment(rawValue: IOURingAvailability.runtimeProbe.error ?? "")
        )
    }

    /// Skips the suite, printing the reason, unless a default runtime here runs on io_uring.
    static var requiresIOURingBackend: Self {
        let probe = IOURingAvailability.runtimeProbe
        let reason =
            probe.error
            ?? "this suite tests io_uring-only behaviour, and the runtime here runs on the fallback backend ("
            + (IOURingAvailability.setupError.map { "\($0)" }
                ?? "\(URingRuntime.Backend.environmentVariable)=fallback") + ")"
        return .enabled(if: probe.backend == .ioURing, Comment(rawValue: reason))
    }

    /// Skips the suite, printing the reason, when a real io_uring cannot be set up here.
    static var requiresRealRing: Self {
        .enabled(
            if: IOURingAvailability.setupError == nil,
            Comment(rawValue: IOURingAvailability.setupError?.description ?? "")
        )
    }
}
