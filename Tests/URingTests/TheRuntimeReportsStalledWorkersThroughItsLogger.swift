// The runtime hands its stall settings to its executor: a worker kept busy past the
// threshold is reported on the configured logger. (The detector itself is tested in
// URingExecutorTests.)

import Glibc
import Logging
import Synchronization
import Testing
import URing
import URingExecutor

@Suite("URingRuntime reports stalled workers through its configured logger", .requiresIOURing)
struct TheRuntimeReportsStalledWorkersThroughItsLogger {
    @Test("a job that blocks its worker for 80 ms under a 20 ms threshold is reported, with the worker named")
    func blockedWorkerIsReported() async throws {
        let messages = ThreadLock<[String]>([])
        _ = try await withRuntime(workers: 1, {
            $0.stallThreshold = .milliseconds(20)
            $0.logger = Logger(label: "test.stalls") { _ in CapturingLogHandler(messages: messages) }
        }) { runtime in
            await Task(executorPreference: runtime.executor) { usleep(80_000) }.value
        }
        let reports = messages.withLock { $0 }
        #expect(!reports.isEmpty)
        #expect(reports.contains { $0.contains("worker") })
    }

    @Test("a threshold of zero is a typed error at init")
    func invalidThreshold() {
        var configuration = URingRuntime.Configuration(workers: 1)
        configuration.stallThreshold = .zero
        #expect(throws: URingExecutorError.self) { _ = try URingRuntime(configuration) }
    }
}
