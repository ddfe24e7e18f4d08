// A pthread mutex and condition variable around a value, for the few places where a
// thread must block until another thread changes some state: the start-up gate, the
// shutdown lifecycle, and `run` waiting for its task. Not for hot paths.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class ConditionLock<Value>: @unchecked Sendable {
    // @unchecked: `value` is read and written only while `mutex` is held.

    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        // Safety: freshly allocated, initialised once here, destroyed once in deinit.
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Runs `body` with the lock held and wakes every waiter afterwards.
    func withLockBroadcasting<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }

    /// Blocks until `body` returns non-nil, re-running it after every broadcast.
    func wait<R>(until body: (inout Value) -> R?) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = body(&value) { return result }
            pthread_cond_wait(condition, mutex)
        }
    }
}
