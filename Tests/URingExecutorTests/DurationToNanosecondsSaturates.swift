// The one Duration -> nanoseconds conversion saturates at the edges instead of wrapping.

import Testing
import URingExecutor

@Suite("Duration to nanoseconds saturates instead of wrapping")
struct DurationToNanosecondsSaturates {
    @Test("ordinary durations convert exactly, truncating below a nanosecond")
    func ordinaryDurations() {
        #expect(Duration.zero.saturatingNanoseconds == 0)
        #expect(Duration.nanoseconds(1).saturatingNanoseconds == 1)
        #expect(Duration.milliseconds(1500).saturatingNanoseconds == 1_500_000_000)
        #expect(Duration.nanoseconds(-7).saturatingNanoseconds == -7)
        #expect((Duration.seconds(2) + .nanoseconds(3)).saturatingNanoseconds == 2_000_000_003)
        // 1.5 ns truncates towards zero, both ways.
        #expect(Duration(secondsComponent: 0, attosecondsComponent: 1_500_000_000).saturatingNanoseconds == 1)
        #expect(Duration(secondsComponent: 0, attosecondsComponent: -1_500_000_000).saturatingNanoseconds == -1)
    }

    @Test("the largest representable values are exact, and one past them saturates")
    func edges() {
        #expect(Duration.nanoseconds(Int64.max).saturatingNanoseconds == .max)
        #expect(Duration.nanoseconds(Int64.min).saturatingNanoseconds == .min)
        #expect((Duration.nanoseconds(Int64.max) - .nanoseconds(1)).saturatingNanoseconds == .max - 1)
        #expect((Duration.nanoseconds(Int64.max) + .nanoseconds(1)).saturatingNanoseconds == .max)
        #expect((Duration.nanoseconds(Int64.min) - .nanoseconds(1)).saturatingNanoseconds == .min)
        #expect(Duration.seconds(Int64.max).saturatingNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).saturatingNanoseconds == .min)
        #expect(Duration.seconds(9_223_372_037).saturatingNanoseconds == .max)
    }

    @Test("the non-negative form turns the past into zero and keeps the saturation")
    func nonNegative() {
        #expect(Duration.seconds(-3).saturatingNonNegativeNanoseconds == 0)
        #expect(Duration.nanoseconds(Int64.min).saturatingNonNegativeNanoseconds == 0)
        #expect(Duration.seconds(Int64.max).saturatingNonNegativeNanoseconds == UInt64(Int64.max))
        #expect(Duration.microseconds(5).saturatingNonNegativeNanoseconds == 5_000)
    }
}
