import Testing

@testable import URingExecutor

@Suite("Stall detector: a job under the threshold is not reported",
    .disabled(if: runningUnderThreadSanitizer, "ThreadSanitizer's runtime pauses workers for tens of milliseconds (seen: 97-129 ms with under 17 ms of CPU wait), which the detector rightly reports"))
struct StallBelowThresholdIsNotReported {
    @Test("a 40 ms job under a 50 ms threshold reports nothing")
    func belowThreshold() throws {
        // A loaded machine may deschedule the worker and so really stretch the job past
        // the threshold (see StallSupport.swift): such a report is allowed only if the
        // worker waited for a CPU about as long as the report exceeds the job, and then
        // the attempt is repeated. Allowance: the detector may overstate a job by up to
        // one kernel tick (4 ms at HZ=250), plus 2 ms of slack.
        for attempt in 1...5 {
            let jobStarts = JobStarts()
            let log = CapturedLog(jobStarts: jobStarts)
            let executor = try URingExecutor(workers: 1, stallThreshold: .milliseconds(50), logger: log.logger)
            let took = executor.run { () async -> Double in
                jobStarts.note()
                return blockThread(microseconds: 40_000)
            }
            executor.shutdown()
            let records = log.records
            // Nothing under the threshold is ever reported, and every report is counted.
            #expect(records.allSatisfy { ($0.durationMilliseconds ?? 0) > 50 }, "\(records.map(\.message))")
            #expect(executor.metrics.stalls == UInt64(records.count))
            let allowance = took + 6
            let unexplained = unexplainedReports(records, beyond: allowance)
            #expect(unexplained.isEmpty, "the job took \(took) ms; reports beyond it that descheduling does not explain: \(unexplained)")
            if records.isEmpty || !unexplained.isEmpty { return }
            print("StallBelowThresholdIsNotReported: attempt \(attempt): the machine stretched the 40 ms job (\(took) ms, descheduled \(records.map { $0.descheduledMilliseconds ?? -1 }) ms); trying again")
        }
        print("StallBelowThresholdIsNotReported: every attempt was stretched by the machine; checked only that each report was explained")
    }
}
