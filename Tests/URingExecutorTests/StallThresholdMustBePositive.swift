import Testing

@testable import URingExecutor

@Suite("Stall detector: invalid thresholds")
struct StallThresholdMustBePositive {
    @Test("a zero or negative stall threshold is a typed error", arguments: [Duration.zero, .milliseconds(-1), .seconds(-5)])
    func rejected(threshold: Duration) {
        #expect(throws: URingExecutorError.invalidStallThreshold(threshold)) {
            _ = try URingExecutor(workers: 1, stallThreshold: threshold)
        }
    }

    @Test("the error says what to pass instead")
    func message() {
        let text = "\(URingExecutorError.invalidStallThreshold(.zero))"
        #expect(text.contains("positive"))
        #expect(text.contains("nil"))
    }

    @Test("a tiny or huge threshold is accepted")
    func extremes() throws {
        for threshold in [Duration.nanoseconds(1), .seconds(Int64.max)] {
            let executor = try URingExecutor(workers: 1, stallThreshold: threshold)
            executor.shutdown()
        }
    }
}
