// A watchdog for tests that drive an executor: the body runs in its own task on the
// executor, a timer on the global executor races it, and whichever finishes first
// decides. A body that hangs is abandoned (its task leaks), so the test fails with a
// diagnostic instead of hanging the suite.

import Testing

@testable import URingExecutor

/// Runs `body` with `executor` as its task executor preference and waits at most `seconds`
/// for it. Returns its value, or nil after recording an issue when time ran out.
func withWatchdog<T: Sendable>(
    seconds: Double, on executor: URingExecutor,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T? {
    let outcome = Locked<CheckedContinuation<T?, any Error>?>(nil)
    let finish: @Sendable (Result<T?, any Error>) -> Void = { result in
        outcome.withLock { slot in
            slot?.resume(with: result)
            slot = nil
        }
    }
    let result = try await withCheckedThrowingContinuation { continuation in
        outcome.withLock { $0 = continuation }
        Task(executorPreference: executor) {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        Task(executorPreference: globalConcurrentExecutor) {
            try? await Task.sleep(for: .seconds(seconds))
            finish(.success(nil))
        }
    }
    if result == nil {
        Issue.record("watchdog: not finished after \(seconds) s; \(executor.debugState)", sourceLocation: sourceLocation)
    }
    return result
}
