import Testing

@testable import URingExecutor

@Suite("Stress: mixed spawns and yields")
struct MixedSpawnsAndYieldsCountExactly {
    @Test("100,000 random spawns and yields all happen exactly once")
    func hundredThousandOperations() async throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 4)
        defer { executor.shutdown() }
        let tasks = 1_000
        let operationsPerTask = 100
        let yields = Counter()
        let spawnedRan = Counter()
        let plan = (0..<tasks).map { task -> [Bool] in
            var random = SplitMix64(seed: UInt64(task))
            return (0..<operationsPerTask).map { _ in Bool.random(using: &random) }  // true: spawn
        }
        let expectedSpawns = plan.joined().filter { $0 }.count
        let expectedYields = tasks * operationsPerTask - expectedSpawns

        let finished = try await withWatchdog(seconds: 60, on: executor) { () -> Bool in
            await withTaskGroup(of: Void.self) { group in
                for steps in plan {
                    group.addTask {
                        await withTaskGroup(of: Void.self) { children in
                            for spawn in steps {
                                if spawn {
                                    children.addTask { spawnedRan.increment() }
                                } else {
                                    await Task.yield()
                                    yields.increment()
                                }
                            }
                        }
                    }
                }
            }
            return true
        }
        #expect(finished == true)
        #expect(spawnedRan.value == expectedSpawns)
        #expect(yields.value == expectedYields)
        #expect(expectedSpawns + expectedYields == 100_000)
        #expect(executor.metrics.yieldsRequeued >= UInt64(expectedYields))
    }
}
