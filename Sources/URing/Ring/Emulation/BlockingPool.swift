// The threads that run the emulator's blocking file calls (pread, fsync, openat, ...), and,
// as a second pool of the same kind, `URingRuntime.runBlocking`'s closures.
//
// One pool per process for each use (`shared`: every emulated ring; `runtimeWork`: every
// runtime's runBlocking, so a user closure that blocks long never delays emulated file
// I/O), with a bounded number of threads started on demand and kept for the life of the
// process. A job is a closure
// that returns what the CQE will carry; its result goes to the submitting ring's
// `EmulatorInbox` (a locked list plus an eventfd that wakes the ring's owner). A job
// still queued can be cancelled (it never runs); a running one cannot (as in the
// kernel's io-wq, the cancel then gets EALREADY).

import CLiburing
import Glibc
import Synchronization
import URingExecutor

/// Work a pool thread runs once; a job that was cancelled while queued does nothing.
protocol BlockingJob: AnyObject, Sendable {
    func run()
}

/// One blocking call waiting for, or running on, a pool thread.
final class PoolJob: BlockingJob, @unchecked Sendable {
    // @unchecked: `work` captures raw pointers the submitting operation keeps alive until
    // its CQE; it runs once, on one pool thread. `state` is atomic.
    enum State: UInt8 { case queued = 0, running = 1, cancelled = 2 }

    let operationID: UInt64
    let inbox: EmulatorInbox
    private let work: () -> Int32
    private let state = Atomic<UInt8>(State.queued.rawValue)

    init(operationID: UInt64, inbox: EmulatorInbox, work: @escaping () -> Int32) {
        self.operationID = operationID
        self.inbox = inbox
        self.work = work
    }

    /// Takes the job off the queue if no thread started it yet; false if one did.
    func cancel() -> Bool {
        state.compareExchange(expected: State.queued.rawValue, desired: State.cancelled.rawValue, ordering: .acquiringAndReleasing).exchanged
    }

    /// Runs the job unless it was cancelled, and posts its result.
    func run() {
        guard state.compareExchange(expected: State.queued.rawValue, desired: State.running.rawValue, ordering: .acquiringAndReleasing).exchanged else { return }
        inbox.post(operationID: operationID, result: work())
    }
}

/// Where pool threads leave results for one emulated ring; the ring's owner drains it.
final class EmulatorInbox: Sendable {
    private let results = ThreadLock<[(operationID: UInt64, result: Int32)]>([])
    /// Readable while results wait (EFD_NONBLOCK, so draining it never blocks).
    let eventFD: Int32

    init() throws(Errno) {
        let fd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        eventFD = fd
    }

    deinit { close(eventFD) }

    func post(operationID: UInt64, result: Int32) {
        let wasEmpty = results.withLock { results in
            results.append((operationID, result))
            return results.count == 1
        }
        // The owner empties the list whole: only the first result of a batch must wake it.
        if wasEmpty {
            var one: UInt64 = 1
            _ = write(eventFD, &one, 8)
        }
    }

    /// Everything posted so far (owner thread).
    func drain(into out: inout [(operationID: UInt64, result: Int32)]) {
        var counter: UInt64 = 0
        _ = read(eventFD, &counter, 8)
        results.withLock { results in
            out.append(contentsOf: results)
            results.removeAll(keepingCapacity: true)
        }
    }
}

/// The process's blocking-call threads.
///
/// Fork: a child has none of the parent's pool threads, and the mutex may have been
/// held at the fork. A pthread_atfork child handler starts the child's pool afresh
/// (fresh lock, no threads, no jobs: the queued ones belong to the parent's rings).
final class BlockingPool: @unchecked Sendable {
    // @unchecked: `queue`, `head`, `threads` and `idle` are touched only with `mutex`
    // held (or in the fork child's handler, where no other thread exists).
    static let shared: BlockingPool = {
        let pool = BlockingPool(maximumThreads: 8)
        // Captures nothing, so it is a C function pointer. Fails only with ENOMEM; a
        // child forked then would find no pool threads for its emulated rings.
        _ = pthread_atfork(nil, nil) { BlockingPool.shared.resetInForkChild() }
        return pool
    }()

    /// The pool `URingRuntime.runBlocking` runs closures on (at most
    /// `runtimeWorkThreads` threads), separate from the emulator's.
    static let runtimeWork: BlockingPool = {
        let pool = BlockingPool(maximumThreads: runtimeWorkThreads)
        _ = pthread_atfork(nil, nil) { BlockingPool.runtimeWork.resetInForkChild() }
        return pool
    }()

    /// The most threads `runtimeWork` starts.
    static let runtimeWorkThreads = 64

    private let maximumThreads: Int
    private var queue: [any BlockingJob] = []
    private var head = 0
    private var threads = 0
    /// Threads waiting for a job (a signalled one counts until it wakes and takes one).
    private var idle = 0
    /// Threads created whose `serve` has not yet taken the lock.
    private var starting = 0
    // Safety: allocated and initialised once; the pool is a process-wide static.
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init(maximumThreads: Int) {
        self.maximumThreads = maximumThreads
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    /// In a fork child (single-threaded): forget the parent's threads and jobs.
    private func resetInForkChild() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        queue.removeAll()
        head = 0
        threads = 0
        idle = 0
        starting = 0
    }

    /// Queues `job`; starts a thread if more jobs wait than idle and starting threads can
    /// take, and the bound allows one. (Comparing with waiting jobs, not just `idle == 0`:
    /// several jobs submitted before a signalled idle thread wakes would otherwise share
    /// that one thread while the bound allows more.)
    func submit(_ job: any BlockingJob) {
        pthread_mutex_lock(mutex)
        queue.append(job)
        let startThread = queue.count - head > idle + starting && threads < maximumThreads
        if startThread {
            threads += 1
            starting += 1
        }
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        if startThread { spawn() }
    }

    private func spawn() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            // Safety: `argument` is the pool retained below; this is its only release.
            let pool = Unmanaged<BlockingPool>.fromOpaque(argument!).takeRetainedValue()
            pool.serve()
            return nil
        }, box)
        if result == 0 {
            pthread_detach(thread)
        } else {
            // Safety: no thread took the retain; balance it. The queued job waits for the
            // next thread (running ones keep serving the queue).
            Unmanaged<BlockingPool>.fromOpaque(box).release()
            pthread_mutex_lock(mutex)
            threads -= 1
            starting -= 1
            pthread_mutex_unlock(mutex)
        }
    }

    private func serve() {
        pthread_mutex_lock(mutex)
        starting -= 1
        pthread_mutex_unlock(mutex)
        while true {
            pthread_mutex_lock(mutex)
            while head == queue.count {
                idle += 1
                pthread_cond_wait(condition, mutex)
                idle -= 1
            }
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            pthread_mutex_unlock(mutex)
            job.run()
        }
    }
}
