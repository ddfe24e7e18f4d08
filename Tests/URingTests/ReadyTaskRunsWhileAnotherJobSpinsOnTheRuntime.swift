// The starvation scenarios and the conformance checks on a URingRuntime, with a task
// executor preference (DefaultExecutorConformance runs them with the runtime as the
// process default executor).

import SchedulingScenarios
import Testing
import URing

@Suite("On a URingRuntime a ready task runs while another job spins or blocks", .requiresIOURing)
struct ReadyTaskRunsWhileAnotherJobSpinsOnTheRuntime {
    @Test("a woken parent and a spawned task run while their worker is stuck", arguments: [2, 8])
    func starvationScenarios(workers: Int) async throws {
        let outcomes = try await withRuntime(workers: workers) { runtime -> [Bool] in
            let spawn: Spawn = { body in Task(executorPreference: runtime.executor) { await body() } }
            return [
                await Starvation.parentRunsWhileChildSpins(spawn: spawn, limit: .seconds(10)),
                await Starvation.spawnedTaskRunsWhileSpawnerBlocks(spawn: spawn, limit: .seconds(10)),
            ]
        }
        #expect(outcomes == [true, true])
    }

    @Test("the conformance checks pass", arguments: [1, 2])
    func conformance(workers: Int) async throws {
        let results = try await withRuntime(workers: workers) { _ in await Conformance.runAll() }
        for result in results { #expect(result.passed, "\(result)") }
        #expect(results.count == 7)
    }
}
