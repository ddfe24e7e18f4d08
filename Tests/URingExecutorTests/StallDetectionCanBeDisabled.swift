import Testing

@testable import URingExecutor

@Suite("Stall detector: nil threshold disables it")
struct StallDetectionCanBeDisabled {
    @Test("with a nil threshold a 30 ms job reports nothing")
    func disabled() throws {
        let log = CapturedLog()
        let executor = try URingExecutor(workers: 1, stallThreshold: nil, logger: log.logger)
        #expect(executor.stallThreshold == nil)
        _ = executor.run { () async in blockThread(microseconds: 30_000) }
        executor.shutdown()
        #expect(log.records.isEmpty, "\(log.records.map(\.message))")
        #expect(executor.metrics.stalls == 0)
    }

    @Test("the default threshold is 10 ms")
    func defaultThreshold() throws {
        let executor = try URingExecutor(workers: 1)
        defer { executor.shutdown() }
        #expect(executor.stallThreshold == .milliseconds(10))
    }
}

@Suite("Stall detector: the run delay is read from schedstat")
struct StallRunDelayIsParsedFromSchedstat {
    @Test("the second field of schedstat is the run delay; malformed text gives 0")
    func parsesSecondField() {
        func parse(_ text: String) -> UInt64 {
            Array(text.utf8).withUnsafeBytes { RunDelayReader.secondField($0) }
        }
        #expect(parse("0 7455911 1\n") == 7_455_911)
        #expect(parse("123 456 789\n") == 456)
        #expect(parse("123 456") == 456)
        #expect(parse("123\n") == 0)
        #expect(parse("") == 0)
        var reader = RunDelayReader()
        let first = reader.read(), second = reader.read()
        #expect(second >= first)
        reader.close()
    }
}
