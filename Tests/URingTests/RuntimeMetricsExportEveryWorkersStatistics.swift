// URingRuntimeMetrics (trait Metrics) against swift-metrics' TestMetrics backend: every
// metric appears once per worker (dimension `worker`), counters grow by what the
// runtime's own counters grew by, gauges follow operations in flight, and `run()`
// samples until it is cancelled (or, with ServiceLifecycle, shut down gracefully).

#if Metrics
import Glibc
import MetricsTestKit
import Testing
import URing
#if ServiceLifecycle
import ServiceLifecycleTestKit
#endif

private let gauges = ["uring_operations_in_flight", "uring_provided_buffers_in_use"]
private let counters = [
    "uring_operations_submitted", "uring_operations_completed", "uring_ring_enters", "uring_cq_overflows",
    "uring_completions_lost", "uring_jobs_run", "uring_steals", "uring_parks", "uring_stalls",
]

@Suite("Runtime metrics export every worker's statistics", .requiresIOURing)
struct RuntimeMetricsExportEveryWorkersStatistics {
    @Test("one sample creates every gauge and counter for each worker, with the worker dimension")
    func everyMetricForEveryWorker() async throws {
        let backend = TestMetrics()
        try await withRuntime(workers: 2) { runtime in
            let metrics = URingRuntimeMetrics(runtime: runtime, factory: backend)
            await metrics.sample()
            for worker in ["0", "1"] {
                for label in gauges {
                    let gauge = try backend.expectGauge(label, [("worker", worker)])
                    #expect(gauge.lastValue != nil, "\(label) worker \(worker)")
                }
                for label in counters {
                    _ = try backend.expectCounter(label, [("worker", worker)])
                }
            }
        }
    }

    @Test("after 200 reads the submitted, completed and enter counters grew by the runtime's own figures")
    func countersFollowTheWork() async throws {
        let backend = TestMetrics()
        try await withRuntime(workers: 2) { runtime in
            let metrics = URingRuntimeMetrics(runtime: runtime, factory: backend)
            await metrics.sample()
            let before = await runtime.statistics()
            let submittedBefore = backend.counterTotal(label: "uring_operations_submitted")
            let file = try await File.open("/proc/self/stat", .readOnly)
            for _ in 0..<200 { _ = try await file.read(count: 64, at: 0) }
            try await file.close()
            await metrics.sample()
            let after = await runtime.statistics()
            let submitted = backend.counterTotal(label: "uring_operations_submitted") - submittedBefore
            #expect(submitted >= 200)
            // Each worker's counter total equals that driver's total at the second sample or later.
            for (worker, statistics) in after.enumerated() {
                let total = backend.counterTotal(label: "uring_operations_submitted", dimensions: [("worker", "\(worker)")])
                #expect(total >= Int64(before[worker].operationsStarted))
                #expect(total <= Int64(statistics.operationsStarted))
            }
            #expect(backend.counterTotal(label: "uring_operations_completed") >= 200)
            #expect(backend.counterTotal(label: "uring_ring_enters") > 0)
            #expect(backend.counterTotal(label: "uring_jobs_run") > 0)
        }
    }

    @Test("the operations-in-flight gauge shows a pending read on its worker, and 0 once it completed")
    func inFlightGaugeFollowsAPendingRead() async throws {
        let backend = TestMetrics()
        try await withRuntime(workers: 1) { runtime in
            let metrics = URingRuntimeMetrics(runtime: runtime, factory: backend)
            let pipe = try Pipe()
            let reader = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            let read = Task(executorPreference: runtime.executor) { try await reader.read(count: 1, at: 0) }
            var sawPending = false
            for _ in 0..<2_000 where !sawPending {
                await metrics.sample()
                sawPending = try backend.expectGauge("uring_operations_in_flight", [("worker", "0")]).lastValue ?? 0 >= 1
                if !sawPending { try await URingRuntime.sleep(for: .milliseconds(10)) }
            }
            #expect(sawPending)
            _ = try pipe.writeEnd.writeAll([7])
            #expect(try await read.value == [7])
            try await reader.close()
            await metrics.sample()
            #expect(try backend.expectGauge("uring_operations_in_flight", [("worker", "0")]).lastValue == 0)
        }
    }

    @Test("run() samples every interval until cancelled")
    func runSamplesUntilCancelled() async throws {
        let backend = TestMetrics()
        try await withRuntime(workers: 1) { runtime in
            let metrics = URingRuntimeMetrics(runtime: runtime, interval: .milliseconds(10), factory: backend)
            let running = Task(executorPreference: runtime.executor) { try await metrics.run() }
            var samples = 0
            for _ in 0..<2_000 where samples < 3 {
                try await URingRuntime.sleep(for: .milliseconds(10))
                samples = (try? backend.expectGauge("uring_operations_in_flight", [("worker", "0")]))?.values.count ?? 0
            }
            #expect(samples >= 3)
            running.cancel()
            try await running.value
        }
    }

    #if ServiceLifecycle
    @Test("as a Service, run() ends on graceful shutdown after a last sample")
    func runEndsOnGracefulShutdown() async throws {
        let backend = TestMetrics()
        try await withRuntime(workers: 1) { runtime in
            let metrics = URingRuntimeMetrics(runtime: runtime, interval: .seconds(3_600), factory: backend)
            try await testGracefulShutdown { trigger in
                let running = Task(executorPreference: runtime.executor) { try await metrics.run() }
                trigger.triggerGracefulShutdown()
                try await running.value
                // The first and the last sample.
                let samples = try backend.expectGauge("uring_operations_in_flight", [("worker", "0")]).values.count
                #expect(samples >= 1)
            }
        }
    }
    #endif
}
#endif
