// Knowing, in a fork() child, which executors are copies of the parent's.
//
// fork() copies only the calling thread. An executor created before the fork still
// exists in the child's memory, but its worker threads do not, and (in the runtime) the
// rings behind its parkers are not mapped in the child (MADV_DONTFORK). So the child
// must never hand work to such an executor: nothing would ever run it.
//
// A pthread_atfork child handler, registered once when the first executor is created,
// bumps a process-wide fork generation. Every executor records the generation it was
// created in; one whose generation is not the current one was inherited from a parent.
// The handler also clears the forking thread's CurrentWorker key: in the child that
// thread is no worker of anything, even if it forked from inside a job. If it was a
// worker, its executor's copy is told to stop, so a job that returns in the child ends
// that worker loop instead of running the parent's jobs a second time.
// The handler runs in the child before fork() returns there, while it is the only
// thread, so it uses atomics and pthread_setspecific only (no locks, no allocation).

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

package enum ForkDetection {
    /// How many fork() calls lie between the process's first executor and this process:
    /// 0 in the process that created it, 1 in its child, 2 in a grandchild...
    private static let generationCounter = Atomic<UInt32>(0)
    /// Executors created in this process since its last fork (all of them if none).
    private static let createdSinceFork = Atomic<Int>(0)

    private static let registration: Void = {
        // The closure captures nothing, so it converts to the C function pointer
        // pthread_atfork wants. It fails only with ENOMEM; then forks go undetected
        // (a child that misuses a copied executor hangs instead of failing clearly).
        _ = pthread_atfork(nil, nil) { ForkDetection.childAfterFork() }
    }()

    /// Registers the fork handler (once per process). Called by every executor's init.
    package static func executorCreated() -> UInt32 {
        _ = registration
        createdSinceFork.wrappingAdd(1, ordering: .relaxed)
        return generation
    }

    /// The fork generation of this process (see `generationCounter`).
    @inline(__always)
    package static var generation: UInt32 { generationCounter.load(ordering: .relaxed) }

    /// Whether this process is a fork() child of a process that had created an executor.
    package static var isForkedChild: Bool { generation != 0 }

    /// Whether an executor (or runtime) has been created in this process since its last
    /// fork: without one, a forked child has nothing it may use.
    package static var hasExecutorCreatedSinceFork: Bool { createdSinceFork.load(ordering: .relaxed) > 0 }

    private static func childAfterFork() {
        generationCounter.wrappingAdd(1, ordering: .relaxed)
        createdSinceFork.store(0, ordering: .relaxed)
        CurrentWorker.worker?.executor.stopWorkersInForkedChild()
        CurrentWorker.set(nil)
    }
}

extension URingExecutor {
    /// Whether this executor was created before a fork() and the calling process is the
    /// child: its worker threads do not exist here, so nothing enqueued on it would run.
    package var isForkedAway: Bool { ForkDetection.generation != forkGeneration }

    /// What a forked child that tries to use an inherited executor is told.
    static let forkedChildMessage =
        "this URingExecutor was created before fork(): its worker threads (and a runtime's rings) "
        + "do not exist in the child process. In the child, call exec (or _exit), or create a new "
        + "URingExecutor/URingRuntime there."

    /// A job cannot be refused with an error (enqueue does not throw) and nothing in this
    /// process would run it: stop with the reason rather than hang.
    func refuseInForkedChild() -> Never {
        fatalError("URingExecutor.enqueue in a fork() child: \(Self.forkedChildMessage)")
    }
}
