// A watchdog for tests that drive an executor: the body runs on the executor, a timer
// on the global executor records an issue if the body is not done in time, and the
// test moves on instead of hanging.

import Testing

@testable import URingExecutor

/// Runs `body` with `executor` as its task executor preference and waits at most `seconds`
/// for it. Returns its value, or nil after recording an issue when time ran out.
func withWatchdog<T: Sendable>(
    seconds: Double, on executor: URingExecutor,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask(executorPreference: executor) { try await body() }
        group.addTask(executorPreference: globalConcurrentExecutor) {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        if first == nil {
            Issue.record("watchdog: not finished after \(seconds) s", sourceLocation: sourceLocation)
        }
        return first
    }
}
