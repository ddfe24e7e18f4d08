// A point on the ContinuousClock as a fixed-layout value, for the operation hot path.
//
// ContinuousClock.Instant is a resilient standard-library type: any enum, optional or
// struct holding one has its layout computed at run time, so every copy, test and destroy
// of it (a slot's waiter, an operation's optional deadline) becomes a call into the Swift
// runtime (swift_getEnumCaseMultiPayload and friends, ~4% of CPU in the cached-read
// benchmark). Duration is frozen; a deadline is kept as the Duration since one origin
// instant taken when the process first needs one.

struct ClockDeadline: Comparable, Sendable {
    private static let origin = ContinuousClock.now

    /// Time from the origin to the deadline.
    let sinceOrigin: Duration

    init(_ instant: ContinuousClock.Instant) {
        sinceOrigin = Self.origin.duration(to: instant)
    }

    /// The deadline as an instant again.
    var instant: ContinuousClock.Instant { Self.origin.advanced(by: sinceOrigin) }

    /// Time left until the deadline (negative once it passed).
    var remaining: Duration { sinceOrigin - Self.origin.duration(to: .now) }

    static func < (lhs: ClockDeadline, rhs: ClockDeadline) -> Bool { lhs.sinceOrigin < rhs.sinceOrigin }
}
