// Makes URingExecutor the default executor of this program, then shows that plain
// tasks, task groups and Task.sleep all run on its worker threads. (Top-level code
// itself runs on the main actor, whose executor stays the platform's.)
//
// The recipe (see URingExecutorFactory.swift): import the factory through its SPI, name
// it in a top-level `typealias DefaultExecutorFactory`, and build this target with
// `-Xfrontend -disable-availability-checking` (Package.swift does).

@_spi(ExperimentalCustomExecutors) import URingExecutor

typealias DefaultExecutorFactory = URingExecutorFactory

func describeThread() -> String {
    if let worker = URingExecutor.current {
        let isDefault = worker.executor === URingExecutorFactory.shared
        return "worker \(worker.index) of \(isDefault ? "the default" : "another") URingExecutor"
    }
    return "a thread that is not a URingExecutor worker"
}

let detached = await Task.detached { describeThread() }.value
print("Task.detached ran on \(detached)")

let (slept, afterSleep) = try await Task.detached {
    let start = ContinuousClock.now
    try await Task.sleep(for: .milliseconds(50))
    return (ContinuousClock.now - start, describeThread())
}.value
print("Task.sleep(50 ms) took \(slept) and resumed on \(afterSleep)")

let squares = await withTaskGroup(of: (Int, Int, Bool).self) { group in
    for number in 1...8 {
        group.addTask {
            try? await Task.sleep(for: .milliseconds(number))
            return (number, number * number, URingExecutor.current?.executor === URingExecutorFactory.shared)
        }
    }
    var results: [(Int, Int, Bool)] = []
    for await result in group { results.append(result) }
    return results.sorted { $0.0 < $1.0 }
}
print("task group: squares \(squares.map(\.1)), all on default-executor workers: \(squares.allSatisfy(\.2))")

let metrics = URingExecutorFactory.shared.metrics
print("default executor: \(URingExecutorFactory.shared.workerCount) workers, \(metrics.jobsRun) jobs run, "
      + "\(metrics.timersFired) timers fired")
