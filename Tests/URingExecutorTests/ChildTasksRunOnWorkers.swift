import Testing

@testable import URingExecutor

@Suite("Structured children")
struct ChildTasksRunOnWorkers {
    @Test("async let children run on the executor's workers")
    func asyncLetChildren() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let results = try await withWatchdog(seconds: 10, on: executor) { () -> [Bool] in
            async let first = executor.isCurrentWorkerThread
            async let second = { () async -> Bool in
                await Task.yield()
                return executor.isCurrentWorkerThread
            }()
            return await [first, second, executor.isCurrentWorkerThread]
        }
        #expect(results == [true, true, true])
    }

    @Test("task group children run on the executor's workers, including after suspending")
    func taskGroupChildren() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let allOnWorkers = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        let before = executor.isCurrentWorkerThread
                        try? await Task.sleep(for: .milliseconds(1))
                        return before && executor.isCurrentWorkerThread
                    }
                }
                return await group.allSatisfy { $0 }
            }
        }
        #expect(allOnWorkers == true)
    }

    @Test("calls into a default actor from many tasks keep the actor's isolation and return to workers")
    func actorCalls() async throws {
        actor Tally {
            var count = 0
            var inside = false
            var overlapped = false
            func add() async {
                if inside { overlapped = true }
                inside = true
                count += 1
                inside = false
            }
        }
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let tally = Tally()
        let onWorkers = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<1_000 {
                    group.addTask {
                        await tally.add()
                        return executor.isCurrentWorkerThread
                    }
                }
                return await group.allSatisfy { $0 }
            }
        }
        #expect(onWorkers == true)
        #expect(await tally.count == 1_000)
        #expect(await tally.overlapped == false)
    }
}
