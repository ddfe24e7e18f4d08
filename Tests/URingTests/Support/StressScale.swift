// The one scale factor for stress tests: SWIFT_URING_STRESS_SCALE (a Double, default 1.0;
// CI sets e.g. 0.02 for the sanitizer runs) multiplies every large count.

import Foundation
import Testing

enum StressScale {
    /// The smallest count a scaled test runs, so a tiny factor still exercises the path.
    static let minimumCount = 10

    /// The factor from the environment, or why the environment's value is unusable.
    private static let parsed: Result<Double, InvalidScale> = {
        guard let text = ProcessInfo.processInfo.environment["SWIFT_URING_STRESS_SCALE"] else { return .success(1.0) }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0 else {
            return .failure(InvalidScale(text: text))
        }
        return .success(value)
    }()

    struct InvalidScale: Error, CustomStringConvertible {
        let text: String
        var description: String {
            "SWIFT_URING_STRESS_SCALE=\"\(text)\" is not a positive number; set it to e.g. 0.02 or 1, or unset it"
        }
    }

    /// The factor (1.0 when unset). An unparsable, zero, negative or non-finite value
    /// fails the calling test with a clear message (the test then runs at 1.0, so that
    /// failure is the only surprise); it is never silently replaced.
    static var factor: Double {
        switch parsed {
        case .success(let value): return value
        case .failure(let error):
            Issue.record(Comment(rawValue: error.description))
            return 1.0
        }
    }

    /// True when running scaled down (the sanitizer runs), where time limits are relaxed.
    static var isReduced: Bool { factor < 1.0 }

    /// `full` scaled by the factor, at least `minimumCount` (or `full` if that is
    /// smaller), so a count never drops to 0; prints the count used so a log shows what ran.
    static func count(_ full: Int, _ what: String = #function) -> Int {
        let factor = factor
        let scaled = Double(full) * factor
        let floor = min(full, minimumCount)
        let used = scaled >= Double(Int.max) ? Int.max : max(floor, Int(scaled.rounded()))
        print("StressScale: \(what): \(used) of \(full) (SWIFT_URING_STRESS_SCALE=\(factor))")
        return used
    }
}
