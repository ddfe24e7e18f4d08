// A driver's counters, produced on its own thread (the only place they may be read), and
// the request that gathers every driver's for `URingRuntime.statistics()`.

import URingExecutor

/// Counters of one driver; read with `CompletionDriver.statistics` on its thread.
public struct DriverStatistics: Sendable, Equatable {
    /// The worker this driver belongs to.
    public var worker = 0
    /// Operations given a slot and an SQE on this ring (single-shot, multishot and timers).
    public var operationsStarted = 0
    /// Operations whose waiter was resumed (a task, a timer job or a multishot stream).
    public var operationsCompleted = 0
    /// IORING_OP_ASYNC_CANCEL entries submitted for task cancellation, deadlines' clean-up
    /// and shutdown.
    public var cancellationsSubmitted = 0
    /// CQEs whose tag named a slot that had moved on (an old generation): dropped, never
    /// resumed. Expected to stay 0.
    public var staleCompletions = 0
    /// Operations started for callers on threads that are not this worker, through its
    /// mailbox.
    public var remoteSubmissions = 0
    /// Times another thread woke this worker through its eventfd (each re-arms the read).
    public var eventFDWakes = 0
    /// Times the worker parked in the ring for lack of work: slept in it
    /// (`io_uring_submit_and_wait`), or, polling first, found work before it slept
    /// (`spinsEndedByWork`).
    public var parks = 0
    /// Parks that polled the ring first (`Configuration.spinBeforeParking`).
    public var spinningParks = 0
    /// Of those, the ones where a completion or a wake-up came while polling, so the
    /// worker did not sleep.
    public var spinsEndedByWork = 0
    /// Provided receive buffers held by streams or waiting to go back to the kernel.
    public var providedBuffersInUse = 0
    /// Multishot receives the kernel ended because the provided-buffer pool was empty
    /// (those streams fell back to plain receives).
    public var receiveBufferExhaustions = 0
    /// Whether this ring runs multishot receives: false until first needed, and when the
    /// kernel refused the buffer ring (then every receive is a plain recv).
    public var providedBuffersRegistered = false
    /// Times the ring reported dropped CQEs (EBADR) and the driver cancelled every
    /// operation in flight to find the ones whose CQE was lost.
    public var lostCompletionRecoveries = 0
    /// Operations whose CQE the kernel dropped; their callers got EBADR.
    public var lostCompletions = 0
    /// Reads and writes submitted as READ_FIXED/WRITE_FIXED: their memory lay in the
    /// runtime's `FixedBufferPool`, which this ring registered.
    public var fixedBufferOperations = 0
    /// O_DIRECT reads and writes that waited for the worker's next enter instead of
    /// entering as they started: each continued a recent one, still in flight, on the
    /// same file (`URingRuntime.Submission.directIOAtOnce`), so the block layer may merge them.
    public var contiguousDirectIOBatched = 0
    /// Whether this ring registered the runtime's fixed buffers (false without a pool).
    public var fixedBuffersRegistered = false
    /// Reads and writes that named their File by its slot in this ring's registered file
    /// table (IOSQE_FIXED_FILE; `RegisteredFiles`).
    public var registeredFileOperations = 0
    /// Registered files this ring put in its table (once per file, on its first use here).
    public var registeredFileInstalls = 0
    /// Registered files this ring took out of its table again (the File was closed).
    public var registeredFileRemovals = 0
    /// Installs the kernel refused; those calls used the plain descriptor.
    public var registeredFileRefusals = 0
    /// Whether this ring set up the runtime's registered file table (false without one).
    public var registeredFilesAvailable = false
    /// Operations whose last CQE has not arrived (slots in use) when the counters were read.
    public var operationsInFlight = 0
    /// The ring's own counters: io_uring_enter calls, retries, CQ overflows, setup flags.
    public var ring = RingStatistics()
}

/// Collects one answer from each driver, then resumes the waiting caller.
final class StatisticsRequest: Sendable {
    private struct State {
        var answers: [DriverStatistics?] = []
        var waiter: CheckedContinuation<[DriverStatistics], Never>?
    }

    private let expected: Int
    private let state = ThreadLock(State())

    init(expected: Int) { self.expected = expected }

    /// One driver's counters, or nil from a driver that no longer runs.
    func deliver(_ statistics: DriverStatistics?) {
        let finished: (CheckedContinuation<[DriverStatistics], Never>, [DriverStatistics])? = state.withLock { state in
            state.answers.append(statistics)
            guard state.answers.count == expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, Self.ordered(state.answers))
        }
        if let (waiter, answers) = finished { waiter.resume(returning: answers) }
    }

    func result() async -> [DriverStatistics] {
        await withCheckedContinuation { continuation in
            let ready: [DriverStatistics]? = state.withLock { state in
                guard state.answers.count == expected else {
                    state.waiter = continuation
                    return nil
                }
                return Self.ordered(state.answers)
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func ordered(_ answers: [DriverStatistics?]) -> [DriverStatistics] {
        answers.compactMap { $0 }.sorted { $0.worker < $1.worker }
    }
}
