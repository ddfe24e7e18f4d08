// Which worker (if any) the calling thread is: a pthread key set by each worker thread
// for its whole life. The stored pointer is unretained; it is valid while the thread
// runs because the executor, which owns its workers, outlives its threads.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

enum CurrentWorker {
    /// The pthread key + 1 (`ThreadKey`): read on every enqueue without swift_once.
    private static let key = Atomic<UInt32>(0)

    static func set(_ worker: Worker?) {
        pthread_setspecific(ThreadKey.key(key), worker.map { Unmanaged.passUnretained($0).toOpaque() })
    }

    static var worker: Worker? {
        unretainedWorker?.takeUnretainedValue()
    }

    /// The calling thread's worker as an unretained reference (the enqueue hot path, where
    /// `worker`'s strong reference cost a retain and a release per job). Callers use it
    /// through `_withUnsafeGuaranteedRef` with a non-optional parameter (with an optional
    /// one, or through an `unowned(unsafe)` binding, the optimizer kept a retain and a
    /// release; measured) and must not let it escape the call.
    @inline(__always)
    static var unretainedWorker: Unmanaged<Worker>? {
        guard let pointer = ThreadKey.value(key) else { return nil }
        // Safety: only `set` stores into this key, always an unretained Worker that
        // outlives the thread's use of it (see the file header).
        return Unmanaged<Worker>.fromOpaque(pointer)
    }
}

extension URingExecutor {
    /// A worker thread's identity, for code that keeps per-worker state (such as a ring).
    public struct WorkerIdentity: Sendable {
        /// The executor that owns the calling thread.
        public let executor: URingExecutor
        /// The worker's index, in 0..<executor.workerCount.
        public let index: Int
        /// The worker's parker, as `makeParker` returned it.
        public let parker: any Parker
    }

    /// The calling thread's worker identity, or nil if it is not a worker thread of any
    /// URingExecutor. Cheap (one `pthread_getspecific`).
    public static var current: WorkerIdentity? {
        guard let worker = CurrentWorker.worker else { return nil }
        return WorkerIdentity(executor: worker.executor, index: worker.index, parker: worker.parker)
    }

    /// The calling thread's worker index, or nil if it is not a worker thread of any URingExecutor.
    public static var currentWorkerIndex: Int? {
        CurrentWorker.worker?.index
    }

    /// Whether the calling thread is one of this executor's workers.
    public var isCurrentWorkerThread: Bool {
        CurrentWorker.worker?.executor === self
    }
}
