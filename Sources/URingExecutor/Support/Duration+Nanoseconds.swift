// The one Duration -> nanoseconds conversion both modules use (timer heaps, parkers,
// the stall threshold, ring timeouts, the emulator's clocks). It saturates: a duration
// beyond what 64 bits of nanoseconds hold becomes Int64.max (or .min), never wraps, so
// an "infinite" deadline stays in the future and a huge negative one stays in the past.

extension Duration {
    /// Whole nanoseconds (truncated towards zero), saturating at `Int64.min`/`Int64.max`.
    package var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        // Same sign as `seconds` (Duration keeps both components on one side of zero).
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow { return attoseconds < 0 ? .min : .max }
        return sum
    }

    /// `saturatingNanoseconds` with negative durations as zero: for timeouts and
    /// thresholds that cannot run backwards.
    package var saturatingNonNegativeNanoseconds: UInt64 {
        UInt64(Swift.max(saturatingNanoseconds, 0))
    }
}
