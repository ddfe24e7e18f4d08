// The standalone Parker: a three-state word plus a pthread mutex and condition variable.
//
// States: empty (nothing pending), parked (the owner sleeps or is about to), notified
// (an unpark is pending). `unpark` swaps in `notified` and takes the lock only when the
// owner is parked, so waking a busy worker costs one atomic swap. The owner moves
// empty -> parked under the lock and sleeps until it can move notified -> empty, which
// is what makes an unpark that lands before the sleep impossible to lose.
// Only the owning thread calls `park` and `poll`; `unpark` is safe from any thread.

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A `Parker` with no event source of its own: it sleeps on a condition variable.
public final class ConditionParker: Parker, @unchecked Sendable {
    // @unchecked: `mutex` and `condition` are pthread objects used only through pthread calls;
    // `state` is atomic.

    private static let empty: UInt8 = 0
    private static let parked: UInt8 = 1
    private static let notified: UInt8 = 2

    private let state = Atomic<UInt8>(ConditionParker.empty)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// A parker in the empty state (no unpark pending). Stops the program if the pthread
    /// mutex or condition variable cannot be created.
    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        // Safety: both pointers were just allocated and are initialised once, here.
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init failed")
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Sleeps on the condition variable until `unpark()` (also one that came since the last
    /// `park` returned) or `deadline` (CLOCK_MONOTONIC; nil: no limit). Owner thread only.
    public func park(deadline: ContinuousClock.Instant?) {
        if state.compareExchange(expected: Self.notified, desired: Self.empty, ordering: .acquiring).exchanged {
            return
        }
        let timeout = deadline.map(Self.monotonicTimespec(for:))
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let (exchanged, current) = state.compareExchange(
            expected: Self.empty, desired: Self.parked, ordering: .acquiringAndReleasing)
        if !exchanged {
            precondition(current == Self.notified, "Internal inconsistency: parker state \(current)")
            state.store(Self.empty, ordering: .relaxed)
            return
        }
        while true {
            let result: Int32
            if var timeout {
                result = pthread_cond_timedwait(condition, mutex, &timeout)
            } else {
                result = pthread_cond_wait(condition, mutex)
            }
            if state.compareExchange(expected: Self.notified, desired: Self.empty, ordering: .acquiring).exchanged {
                return
            }
            if result == ETIMEDOUT {
                // Leave `parked`; an unpark racing with this return is consumed here or by the next park.
                _ = state.exchange(Self.empty, ordering: .acquiring)
                return
            }
        }
    }

    /// Does nothing: this parker has no event source to poll.
    public func poll() {}

    /// Wakes the owner if it sleeps, or makes its next `park` return at once. One atomic
    /// swap when the owner is not parked; safe from any thread.
    public func unpark() {
        switch state.exchange(Self.notified, ordering: .acquiringAndReleasing) {
        case Self.empty, Self.notified:
            return
        default:
            // The owner is parked or between its CAS and its wait: taking the lock orders this
            // signal after its wait began.
            pthread_mutex_lock(mutex)
            pthread_mutex_unlock(mutex)
            pthread_cond_signal(condition)
        }
    }

    /// `deadline` on the ContinuousClock, as an absolute CLOCK_MONOTONIC time.
    private static func monotonicTimespec(for deadline: ContinuousClock.Instant) -> timespec {
        let remaining = ContinuousClock.now.duration(to: deadline).saturatingNonNegativeNanoseconds
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var result = timespec()
        let nanoseconds = Int(now.tv_nsec) + Int(remaining % 1_000_000_000)
        result.tv_sec = now.tv_sec + Int(remaining / 1_000_000_000) + nanoseconds / 1_000_000_000
        result.tv_nsec = nanoseconds % 1_000_000_000
        return result
    }
}
