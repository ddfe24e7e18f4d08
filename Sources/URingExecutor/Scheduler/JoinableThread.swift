// A plain pthread that runs one closure and can be joined. Worker threads are these;
// tests use them as "foreign" threads. Whoever creates one must join it exactly once.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class JoinableThread: Sendable {
    private final class Start {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private let thread: pthread_t

    /// Starts a thread running `body`; throws the pthread_create error code on failure.
    init(_ body: @escaping @Sendable () -> Void) throws(URingExecutorError) {
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            // Safety: `argument` is the retained Start passed below; this is its only release.
            let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
            start.body()
            return nil
        }, start)
        guard result == 0 else {
            // Safety: the thread was not created, so the retain above is still ours to balance.
            Unmanaged<Start>.fromOpaque(start).release()
            throw .threadCreationFailed(errno: result)
        }
        self.thread = thread
    }

    /// Waits for the thread to finish. Call once, never from the thread itself.
    func join() {
        let result = pthread_join(thread, nil)
        precondition(result == 0, "pthread_join failed: \(result)")
    }
}
