// ReportLogger: a report goes to the logger in use when it is logged (a given one, or one
// made then), and held reports wait for a hand-over or a release, then go out in order.
// The process's LoggingSystem is never bootstrapped here: loggers are passed in.

import Logging
import Testing

@testable import URingExecutor

@Suite("Reports go to the logger in use when they are logged")
struct ReportsGoToTheLoggerInUseWhenLogged {
    @Test("a given logger receives each report with its level and metadata")
    func givenLoggerReceivesReports() {
        let log = CapturedLog()
        let reports = ReportLogger(log.logger, label: "unused")
        reports.log(.warning, "first", metadata: ["worker": "3"])
        reports.log(.error, "second")
        #expect(log.records.map(\.message) == ["first", "second"])
        #expect(log.records.map(\.level) == [.warning, .error])
        #expect(log.records.first?.worker == 3)
    }

    @Test("held reports wait for the hand-over, then go to the handed-over logger in order")
    func heldReportsGoToTheHandedOverLogger() {
        let early = CapturedLog()
        let handedOver = CapturedLog()
        let reports = ReportLogger(nil, label: "test.held", holdsReports: true)
        reports.log(.warning, "one")
        reports.log(.warning, "two")
        #expect(reports.isHoldingReports)
        #expect(early.records.isEmpty && handedOver.records.isEmpty)
        reports.use(handedOver.logger)
        #expect(!reports.isHoldingReports)
        #expect(handedOver.records.map(\.message) == ["one", "two"])
        reports.log(.warning, "three")
        #expect(handedOver.records.map(\.message) == ["one", "two", "three"])
    }

    @Test("releasing held reports sends them to the given logger and stops holding")
    func releasedReportsGoOut() {
        let log = CapturedLog()
        let reports = ReportLogger(log.logger, label: "unused", holdsReports: true)
        reports.log(.info, "held")
        #expect(log.records.isEmpty)
        reports.releaseHeldReports()
        reports.releaseHeldReports()
        reports.log(.info, "after")
        #expect(log.records.map(\.message) == ["held", "after"])
    }

    @Test("an executor given no logger names its label; useLogger redirects its stall reports")
    func executorTakesAHandedOverLogger() throws {
        let executor = try URingExecutor(workers: 1, stallThreshold: .milliseconds(20))
        #expect(executor.logger.label == URingExecutor.loggerLabel)
        let log = CapturedLog()
        executor.useLogger(log.logger)
        #expect(executor.logger.label == log.logger.label)
        executor.run { _ = blockThread(microseconds: 80_000) }
        // The report comes when the job returns; shutdown joins the worker, so it is in by then.
        executor.shutdown()
        #expect(log.records.contains { $0.message.contains("blocked worker") })
    }
}
