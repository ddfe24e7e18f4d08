// Sleeping on the ring: one IORING_OP_TIMEOUT, no timer thread.

extension URingRuntime {
    /// Suspends the task for `duration` on the current worker's ring.
    /// Throws `CancellationError` if the task is cancelled first.
    public static func sleep(for duration: Duration) async throws {
        try await sleep(until: ContinuousClock.now + duration)
    }

    /// Suspends the task until `deadline` on the current worker's ring.
    /// Throws `CancellationError` if the task is cancelled first.
    public static func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await perform(TimeoutOperation(deadline: deadline))
    }

    /// A round trip through the current worker's ring (IORING_OP_NOP).
    public static func nop() async throws {
        try await perform(NopOperation())
    }
}
