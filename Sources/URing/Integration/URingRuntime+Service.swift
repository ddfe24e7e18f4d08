// URingRuntime as a swift-service-lifecycle `Service` (trait ServiceLifecycle): `run()`
// suspends until the service group shuts down gracefully or cancels the task, then shuts
// the runtime down (in-flight operations end with URingError.shutdown, the workers stop,
// the rings close). A ServiceGroup shuts its services down in reverse order, so list the
// runtime before the services that use it: they have finished when its turn comes.
// The process-default runtime (URingRuntimeFactory) lives as long as the process: its
// `run()` returns at the same moment without shutting anything down.

#if ServiceLifecycle
import ServiceLifecycle

extension URingRuntime: Service {
    /// Waits until graceful shutdown or cancellation of the calling task, then shuts the
    /// runtime down (unless it is the process default, which cannot be shut down) and
    /// returns. Safe to run on the runtime's own workers.
    public func run() async throws {
        // CancellationError means the group is cancelling: shut down all the same.
        try? await gracefulShutdown()
        if !isProcessDefault { await shutdown() }
    }
}
#endif
