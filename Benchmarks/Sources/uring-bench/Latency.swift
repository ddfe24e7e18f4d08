// Per-operation latency: a monotonic nanosecond clock and an HdrHistogram per stream of
// I/O (a task or a thread owns its own, so recording takes no lock and allocates
// nothing); streams' histograms are merged after the run.

import Glibc
import Histogram

/// Nanoseconds on CLOCK_MONOTONIC (a vDSO call, no syscall).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Latencies of one stream of operations, in nanoseconds (3 significant digits, up to 60 s).
struct LatencyRecorder: Sendable {
    private(set) var histogram = Histogram<UInt32>(
        lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)

    @inline(__always)
    mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(min(nanoseconds, 60_000_000_000))
    }

    mutating func add(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
    }

    var percentiles: LatencyPercentiles {
        LatencyPercentiles(
            p50: Double(histogram.valueAtPercentile(50)) / 1000,
            p99: Double(histogram.valueAtPercentile(99)) / 1000,
            p999: Double(histogram.valueAtPercentile(99.9)) / 1000)
    }
}

/// Latency percentiles in microseconds.
struct LatencyPercentiles: Sendable, Codable {
    var p50: Double
    var p99: Double
    var p999: Double
}
