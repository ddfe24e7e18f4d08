// A ready task never waits behind a job that spins or blocks while another worker
// sleeps: the stuck-work watcher takes it (from the LIFO slot or the queue). With one
// worker nobody can, and the checks say so explicitly.

import SchedulingScenarios
import Testing

@testable import URingExecutor

@Suite("A ready task runs while another job spins or blocks")
struct ReadyTaskRunsWhileAnotherJobSpinsOrBlocks {
    static let limit = Duration.seconds(10)

    @Test("a parent woken by a child that then spins runs on another worker", arguments: [2, 8])
    func parentRunsWhileChildSpins(workers: Int) async throws {
        let executor = try URingExecutor(workers: workers)
        defer { executor.shutdown() }
        let ran = try await withWatchdog(seconds: 60, on: executor) {
            await Starvation.parentRunsWhileChildSpins(spawn: Self.spawner(executor), limit: Self.limit)
        }
        #expect(ran == true, "the parent waited in the spinning worker's LIFO slot; \(executor.debugState)")
    }

    @Test("a task spawned by a task that then blocks runs on another worker", arguments: [2, 8])
    func spawnedTaskRunsWhileSpawnerBlocks(workers: Int) async throws {
        let executor = try URingExecutor(workers: workers)
        defer { executor.shutdown() }
        let ran = try await withWatchdog(seconds: 60, on: executor) {
            await Starvation.spawnedTaskRunsWhileSpawnerBlocks(spawn: Self.spawner(executor), limit: Self.limit)
        }
        #expect(ran == true, "the spawned task waited behind the blocked one; \(executor.debugState)")
    }

    @Test("with one worker a spinning or blocking job keeps a ready task waiting (the documented limit)")
    func oneWorkerCannotRescue() async throws {
        let executor = try URingExecutor(workers: 1)
        defer { executor.shutdown() }
        let outcomes = try await withWatchdog(seconds: 60, on: executor) { () -> [Bool] in
            [
                await Starvation.parentRunsWhileChildSpins(spawn: Self.spawner(executor), limit: .milliseconds(200)),
                await Starvation.spawnedTaskRunsWhileSpawnerBlocks(spawn: Self.spawner(executor), limit: .milliseconds(200)),
            ]
        }
        #expect(outcomes == [false, false])
    }

    @Test("the conformance checks pass with a task-executor preference", arguments: [1, 2])
    func conformance(workers: Int) async throws {
        let executor = try URingExecutor(workers: workers)
        defer { executor.shutdown() }
        // A hang watchdog only: the checks sleep for seconds of their own, and under TSan on
        // two busy cores all seven once took past 60 s while nothing hung (the watchdog's
        // snapshot showed the last check's 2,000 yields done and every worker idle).
        let results = try await withWatchdog(seconds: 300, on: executor) { await Conformance.runAll() }
        for result in results ?? [] {
            #expect(result.passed, "\(result)")
        }
        #expect(results?.count == 7)
    }

    static func spawner(_ executor: URingExecutor) -> Spawn {
        { body in Task(executorPreference: executor) { await body() } }
    }
}
