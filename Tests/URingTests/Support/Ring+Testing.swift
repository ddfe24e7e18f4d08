// Synchronous helpers for driving a bare Ring in tests.

import Testing
@_spi(URingInternals) import URing

struct RingWaitTimedOut: Error {
    let wanted: Int
    let got: Int
}

extension Ring {
    /// Submits what is queued and waits until `count` completions have been reaped.
    mutating func completions(_ count: Int, within limit: Duration = .seconds(5)) throws -> [Completion] {
        var reaped: [Completion] = []
        let deadline = ContinuousClock.now + limit
        while reaped.count < count {
            if ContinuousClock.now >= deadline { throw RingWaitTimedOut(wanted: count, got: reaped.count) }
            try submitAndWait(minCompletions: 1, timeout: .milliseconds(100))
            reap { reaped.append($0) }
        }
        return reaped
    }
}
