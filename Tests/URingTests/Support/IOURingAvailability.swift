// Whether this machine lets the test process use io_uring, and why not.
//
// Tests that need a real ring carry the `.requiresIOURing` trait: where setup fails
// (seccomp, old kernel, sysctl), they are skipped and Swift Testing prints the typed
// error's message as the reason.

import Testing
import URing

enum IOURingAvailability {
    static let setupError: URingUnavailableError? = {
        do throws(URingUnavailableError) {
            _ = try Ring(options: RingOptions(submissionQueueEntries: 2))
            return nil
        } catch {
            return error
        }
    }()
}

extension Trait where Self == ConditionTrait {
    /// Skips the test, printing the reason, when io_uring cannot be set up here.
    static var requiresIOURing: Self {
        .enabled(
            if: IOURingAvailability.setupError == nil,
            Comment(rawValue: IOURingAvailability.setupError?.description ?? "")
        )
    }
}
