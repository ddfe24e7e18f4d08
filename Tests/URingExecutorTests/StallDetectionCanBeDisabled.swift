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
