import Testing

@testable import URingExecutor

@Suite("Task.yield on the executor")
struct YieldGoesBehindReadyWork {
    @Test("a yielding task resumes only after the tasks that were already ready (one worker)")
    func yieldRunsAfterReadyTasks() async throws {
        let executor = try URingExecutor(workers: 1)
        defer { executor.shutdown() }
        let order = Locked<[String]>([])
        let finished = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            let others = (0..<3).map { number in
                Task(executorPreference: executor) { order.withLock { $0.append("other\(number)") } }
            }
            order.withLock { $0.append("before yield") }
            await Task.yield()
            order.withLock { $0.append("after yield") }
            for other in others { await other.value }
            return true
        }
        #expect(finished == true)
        // The spawned tasks may start in any order (the newest sits in the LIFO slot), but
        // all of them run before the yielding task continues.
        let trace = order.value
        #expect(trace.first == "before yield")
        #expect(trace.last == "after yield")
        #expect(trace.dropFirst().dropLast().sorted() == ["other0", "other1", "other2"])
        #expect(executor.metrics.yieldsRequeued >= 1)
    }

    @Test("two tasks that only yield take turns instead of one running to completion")
    func yieldingTasksInterleave() async throws {
        let executor = try URingExecutor(workers: 1)
        defer { executor.shutdown() }
        let trace = Locked<[Int]>([])
        _ = try await withWatchdog(seconds: 10, on: executor) {
            await withTaskGroup(of: Void.self) { group in
                for id in 0..<2 {
                    group.addTask {
                        for _ in 0..<5 {
                            trace.withLock { $0.append(id) }
                            await Task.yield()
                        }
                    }
                }
            }
        }
        let switches = zip(trace.value, trace.value.dropFirst()).filter { $0 != $1 }.count
        #expect(trace.value.count == 10)
        #expect(switches >= 8, "trace: \(trace.value)")
    }
}
