// A pthread mutex around a value (package-visible: URing uses it too). The executor uses this rather than
// Synchronization.Mutex because ThreadSanitizer intercepts pthread_mutex_lock, but not
// Mutex's futex fast path inside the (uninstrumented) standard library, and so would
// report races on everything a Mutex protects. Uncontended, both cost about the same.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

package final class ThreadLock<Value: ~Copyable>: @unchecked Sendable {
    // @unchecked: `value` is accessed only between pthread_mutex_lock and _unlock.

    #if DEBUG
    private var value: Value
    #else
    // Safety (@exclusivity(unchecked) in release builds): the mutex already makes every
    // access exclusive, and a `body` that called withLock on the same lock again would
    // deadlock before it could overlap. The dynamic check (a TLS lookup and an access-set
    // insert per call) was most of an uncontended lock's cost in a park/unpark. Debug
    // builds, and so the tests, keep it.
    @exclusivity(unchecked) private var value: Value
    #endif
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init(_ value: consuming Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        // Safety: freshly allocated, initialised once here, destroyed once in deinit.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
