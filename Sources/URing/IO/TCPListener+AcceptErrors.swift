// Accept errors that must not end an accept loop, and the backoff between retries.
//
// A listener that runs out of descriptors (EMFILE, ENFILE) or memory, or meets a
// connection that was reset before it was taken, must keep listening: the connection
// that failed stays in the kernel's backlog and is taken once the cause goes away.
// `accept()` and `connections` retry such errors (`AcceptFailure.isTransient`) after a
// backoff that starts at 10 ms and doubles up to 1 s while the error persists; a
// successful accept ends the episode and resets it. The first error of an episode is
// logged once (a warning on the runtime's logger, with the errno); every error counts
// in `statistics()`. The wait is a ring timeout in a task of its own, so it neither
// spins nor blocks a worker, and `close()` cuts it short.

import Logging
import Synchronization
import URingExecutor

extension TCPListener {
    /// How the listener's accepts fared.
    public struct Statistics: Sendable, Equatable {
        /// Accepts (a single `accept()`, or an arming of the multishot accept behind
        /// `connections`) that failed with a transient error and were retried.
        public var acceptErrors = 0
        /// Episodes of consecutive failed accepts (each ends at the next success).
        public var acceptErrorEpisodes = 0
        /// The error of the latest failed accept.
        public var lastAcceptError: Errno?
        /// Whether an episode is going on (the latest accept failed).
        public var isBackingOff = false

        /// Counters at zero, as a new listener has them.
        public init() {}
    }

    /// Counters of the listener's accept errors.
    public func statistics() -> Statistics { recovery.statistics }
}

/// One listener's accept-error episodes: counters, the current delay, and the tasks
/// waiting out a backoff (woken when the listener closes).
final class AcceptRecovery: Sendable {
    static let initialDelay = Duration.milliseconds(10)
    static let maximumDelay = Duration.seconds(1)

    private struct State {
        var statistics = TCPListener.Statistics()
        var delay = AcceptRecovery.initialDelay
        var sleepers: [UInt64: Task<Void, any Error>] = [:]
        var nextSleeper: UInt64 = 0
        var closed = false
    }

    private let state = ThreadLock(State())
    /// Mirrors `statistics.isBackingOff`, so a successful accept outside an episode
    /// takes no lock.
    private let inEpisode = Atomic<Bool>(false)
    /// Set by `close()` before the listening socket is shut down: an accept that fails
    /// from then on failed because of the close.
    private let closing = Atomic<Bool>(false)
    private let address: SocketAddress

    init(address: SocketAddress) { self.address = address }

    var statistics: TCPListener.Statistics { state.withLock { $0.statistics } }

    /// An accept succeeded: the episode, if any, is over.
    func succeeded() {
        guard inEpisode.load(ordering: .relaxed) else { return }
        state.withLock { state in
            state.statistics.isBackingOff = false
            state.delay = Self.initialDelay
        }
        inEpisode.store(false, ordering: .relaxed)
    }

    /// Records a failed accept: how long to wait, and whether it began an episode.
    private func failed(_ error: Errno) -> (delay: Duration, began: Bool) {
        let result = state.withLock { state in
            state.statistics.acceptErrors += 1
            state.statistics.lastAcceptError = error
            if !state.statistics.isBackingOff {
                state.statistics.isBackingOff = true
                state.statistics.acceptErrorEpisodes += 1
                state.delay = Self.initialDelay
                return (Self.initialDelay, true)
            }
            state.delay = min(state.delay * 2, Self.maximumDelay)
            return (state.delay, false)
        }
        inEpisode.store(true, ordering: .relaxed)
        return result
    }

    /// Records `error` and waits before the caller retries the accept; returns early
    /// when the listener is closed (the retry then ends the loop).
    ///
    /// - Throws: `CancellationError` when the caller's task is cancelled,
    ///   `URingError.deadlineExceeded` past its deadline, `URingError.shutdown`.
    func backOff(after error: Errno) async throws {
        let (delay, began) = failed(error)
        if began {
            RuntimeRegistry.reports().log(
                .warning,
                "accept on \(address) failed: \(error) (errno \(error.rawValue)); the listener keeps listening and retries after 10 ms, doubling up to 1 s, until an accept succeeds (logged once per episode)")
        }
        let deadline = ContinuousClock.now + delay
        let sleeper = Task { try await perform(TimeoutOperation(deadline: deadline)) }
        let key: UInt64? = state.withLock { state in
            guard !state.closed else { return nil }
            state.nextSleeper &+= 1
            state.sleepers[state.nextSleeper] = sleeper
            return state.nextSleeper
        }
        guard let key else {
            sleeper.cancel()
            return
        }
        defer { _ = state.withLock { $0.sleepers.removeValue(forKey: key) } }
        do {
            try await withTaskCancellationHandler {
                try await sleeper.value
            } onCancel: {
                sleeper.cancel()
            }
        } catch let error as CancellationError {
            // close() woke the sleeper: the retry finds the listener closed.
            if Task.isCancelled || !state.withLock({ $0.closed }) { throw error }
        }
    }

    /// Whether `close()` has begun.
    var isClosing: Bool { closing.load(ordering: .acquiring) }

    /// The listener is closing: wake every backoff now.
    func close() {
        closing.store(true, ordering: .releasing)
        let sleepers = state.withLock { state in
            state.closed = true
            return Array(state.sleepers.values)
        }
        for sleeper in sleepers { sleeper.cancel() }
    }
}
