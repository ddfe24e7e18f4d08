// CountdownFuture: a task that counts down, yielding to the scheduler at every step.
// In a poll-based runtime this is a future that returns Pending and wakes itself; in
// Swift it is a loop around `Task.yield()`, which puts the task behind ready work.

import URing
import URingExecutor

enum Countdown {
    static func run(from start: Int) async -> [Int] {
        var seen: [Int] = []
        for value in stride(from: start, through: 0, by: -1) {
            seen.append(value)
            await Task.yield()
        }
        return seen
    }
}
