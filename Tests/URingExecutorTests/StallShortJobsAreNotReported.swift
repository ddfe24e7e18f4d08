import Testing

@testable import URingExecutor

@Suite("Stall detector: short jobs and idle time are not stalls",
    .disabled(if: runningUnderThreadSanitizer, "ThreadSanitizer's runtime pauses workers for tens of milliseconds (seen: 97-129 ms with under 17 ms of CPU wait), which the detector rightly reports"))
struct StallShortJobsAreNotReported {
    @Test("2,000 jobs of 0.1 ms, with idle gaps longer than the threshold between batches, report nothing")
    func shortJobsAndIdleGaps() async throws {
        // The jobs add up to 200 ms and the idle gaps to 240 ms, each well over the 50 ms
        // threshold: a detector that summed time across jobs, or counted a park as part of
        // the next job, would report. A loaded machine may deschedule a worker for longer
        // than the threshold, which is a real stall: such a report must be explained by
        // the worker's own wait for a CPU (see StallSupport.swift), with 10 ms to spare
        // (the job itself, one kernel tick of overstatement, slack).
        for attempt in 1...3 {
            let jobStarts = JobStarts()
            let log = CapturedLog(jobStarts: jobStarts)
            let executor = try URingExecutor(workers: 2, stallThreshold: .milliseconds(50), logger: log.logger)
            let finished = try await withWatchdog(seconds: 60, on: executor) {
                for _ in 0..<4 {
                    await withTaskGroup(of: Void.self) { group in
                        for _ in 0..<500 {
                            group.addTask {
                                jobStarts.note()
                                blockThread(microseconds: 100)
                            }
                        }
                    }
                    try await Task.sleep(for: .milliseconds(60))
                }
                return true
            }
            executor.shutdown()
            #expect(finished == true)
            let records = log.records
            #expect(records.allSatisfy { ($0.durationMilliseconds ?? 0) > 50 }, "\(records.map(\.message))")
            #expect(executor.metrics.stalls == UInt64(records.count))
            #expect(executor.metrics.jobsRun >= 2_000)
            let unexplained = unexplainedReports(records, beyond: 10)
            #expect(unexplained.isEmpty, "reports that descheduling does not explain: \(unexplained)")
            if records.isEmpty || !unexplained.isEmpty { return }
            print("StallShortJobsAreNotReported: attempt \(attempt): \(records.count) report(s), each explained by the machine descheduling the worker; trying again")
        }
        print("StallShortJobsAreNotReported: every attempt saw the machine deschedule a worker past the threshold; checked only that each report was explained")
    }
}
