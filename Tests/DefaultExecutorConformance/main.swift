// The scheduling guarantees with a URingRuntime as the process default executor (what
// services get; the test targets can only use a task-executor preference, since a
// process has one default executor). Plain `Task {}` lands on the runtime here. Prints
// one line per check and exits 1 if any fails; CI runs it with 2 workers and with 8.

@_spi(ExperimentalCustomExecutors) import URing
import Glibc
import SchedulingScenarios
import URingExecutor

typealias DefaultExecutorFactory = URingRuntimeFactory

let workers = URingRuntimeFactory.shared.executor.workerCount
var failed = 0

@MainActor func report(_ name: String, _ passed: Bool, _ detail: String) {
    print("\(passed ? "PASS" : "FAIL") \(name) (\(workers) workers): \(detail)")
    if !passed { failed += 1 }
}

let spawnPlain: Spawn = { body in Task { await body() } }
// Each scenario runs in a task of its own: top-level code runs on the main thread.
let parentRan = await Task { await Starvation.parentRunsWhileChildSpins(spawn: spawnPlain, limit: .seconds(5)) }.value
report("a parent woken by a spinning child runs", parentRan || workers == 1,
       workers == 1 ? "one worker: nobody else can run it (documented limit)" : "ran while the child spun: \(parentRan)")
let signalled = await Task { await Starvation.spawnedTaskRunsWhileSpawnerBlocks(spawn: spawnPlain, limit: .seconds(5)) }.value
report("a task spawned by a blocking task runs", signalled || workers == 1,
       workers == 1 ? "one worker: nobody else can run it (documented limit)" : "signalled while the spawner blocked: \(signalled)")
for result in await Task(operation: { await Conformance.runAll() }).value {
    report(result.name, result.passed, result.detail)
}
exit(failed == 0 ? 0 : 1)
