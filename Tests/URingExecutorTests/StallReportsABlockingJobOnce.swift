import Logging
import Testing

@testable import URingExecutor

@Suite("Stall detector: a blocking job is reported")
struct StallReportsABlockingJobOnce {
    // 10 ms (the default) is timed on the coarse clock plus one precise read per tick; a
    // threshold under two kernel ticks reads the precise clock per job: both are covered.
    @Test("a job that blocks 30 ms is reported once, with its worker and duration", arguments: [10, 1])
    func reportsOnce(thresholdMilliseconds: Int) throws {
        let log = CapturedLog()
        let executor = try URingExecutor(
            workers: 2, stallThreshold: .milliseconds(thresholdMilliseconds), logger: log.logger)
        let worker = executor.run { () async -> Int in
            let index = URingExecutor.currentWorkerIndex ?? -1
            blockThread(microseconds: 30_000)
            return index
        }
        // The report comes when the job returns, which may be after run returns; shutdown
        // joins the workers, so every report is in by then.
        executor.shutdown()

        let records = log.records
        let ours = records.filter { $0.worker == worker && ($0.durationMilliseconds ?? 0) >= 30 }
        #expect(worker >= 0)
        #expect(ours.count == 1, "reports: \(records.map(\.message))")
        if let report = ours.first {
            #expect(report.level == .warning)
            #expect(report.thresholdMilliseconds == Double(thresholdMilliseconds))
            #expect(report.message.contains("worker \(worker)"))
        }
        // Every report is counted, and nothing under the threshold is reported.
        #expect(executor.metrics.stalls == UInt64(records.count))
        #expect(records.allSatisfy { ($0.durationMilliseconds ?? 0) > Double(thresholdMilliseconds) })
    }
}
