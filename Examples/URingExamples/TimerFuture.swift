// TimerFuture: a future completed by the reactor. Here the "reactor" is the worker's
// ring: URingRuntime.sleep submits IORING_OP_TIMEOUT, the worker parks in
// io_uring_submit_and_wait, and the CQE resumes the task.

import URing

enum TimerFuture {
    static func run(milliseconds: Int64) async throws -> Duration {
        let start = ContinuousClock.now
        try await URingRuntime.sleep(for: .milliseconds(milliseconds))
        return ContinuousClock.now - start
    }
}
