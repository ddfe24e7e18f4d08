// yield in a CPU-heavy loop: a long computation that yields every so often, so that
// I/O completions and other tasks on the same worker keep being served.

import URing

enum CooperativeLoop {
    /// Sums 0..<count, yielding every `every` steps; returns the sum and how many sleeps
    /// (each 1 ms, started beforehand) finished while it ran.
    static func run(count: Int, yieldingEvery every: Int) async throws -> (sum: Int, sleepsDone: Int) {
        // `async let` children inherit the runtime as their executor preference.
        async let sleepsDone = withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { try await URingRuntime.sleep(for: .milliseconds(1)) } }
            var done = 0
            for try await _ in group { done += 1 }
            return done
        }
        var sum = 0
        for value in 0..<count {
            sum &+= value
            if value % every == 0 { await Task.yield() }
        }
        return (sum, try await sleepsDone)
    }
}
