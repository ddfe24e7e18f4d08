import Testing

@testable import URingExecutor

@Suite("Stress: chained spawns")
struct ChainedSpawnsComplete {
    /// Spawns a task that spawns the next, `remaining` deep; the last one resumes `done`.
    static func spawnChain(on executor: URingExecutor, remaining: Int, done: @escaping @Sendable () -> Void) {
        Task(executorPreference: executor) {
            if remaining == 0 {
                done()
            } else {
                spawnChain(on: executor, remaining: remaining - 1, done: done)
            }
        }
    }

    @Test("a chain of 10,000 tasks, each spawning the next, completes on a capacity-4 queue")
    func chain() async throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 4)
        defer { executor.shutdown() }
        let finished = try await withWatchdog(seconds: 30, on: executor) { () -> Bool in
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                Self.spawnChain(on: executor, remaining: 10_000) { continuation.resume() }
            }
            return true
        }
        #expect(finished == true)
        #expect(executor.metrics.jobsRun >= 10_000)
    }

    @Test("16 chains at once all complete")
    func parallelChains() async throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 4)
        defer { executor.shutdown() }
        let completed = Counter()
        _ = try await withWatchdog(seconds: 30, on: executor) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                            Self.spawnChain(on: executor, remaining: 1_000) {
                                completed.increment()
                                continuation.resume()
                            }
                        }
                    }
                }
            }
        }
        #expect(completed.value == 16)
    }
}
