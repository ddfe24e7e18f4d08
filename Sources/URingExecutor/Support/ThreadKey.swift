// A pthread key that is created on first store and read with no lazy-global check.
//
// A `static let` whose initializer runs code (`pthread_key_create`) is initialized
// through swift_once, which every read then calls: a per-operation cost on the I/O path
// (CurrentDriver, CurrentWorker). Instead the key lives in a `static let` Atomic<UInt32>
// with a literal initializer, which the compiler initializes statically (0 = not created
// yet, otherwise the key + 1), so a read is a load and a compare. (A struct wrapping the
// Atomic is not initialized statically in another module, hence functions over the
// Atomic.) Reads before the first store find no key, and so no value, which is what they
// would find in a key created then.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

package enum ThreadKey {
    /// The calling thread's value in the key kept in `storage`; nil if it stored none (or
    /// nothing was ever stored).
    @inlinable @inline(__always)
    package static func value(_ storage: borrowing Atomic<UInt32>) -> UnsafeMutableRawPointer? {
        guard let key = existing(storage) else { return nil }
        return pthread_getspecific(key)
    }

    /// The key kept in `storage`, if it was created.
    @inlinable @inline(__always)
    package static func existing(_ storage: borrowing Atomic<UInt32>) -> pthread_key_t? {
        let keyPlusOne = storage.load(ordering: .acquiring)
        return keyPlusOne == 0 ? nil : keyPlusOne &- 1
    }

    /// The key kept in `storage`, created now if it does not exist yet. `created` runs
    /// once, for the key that wins a race between threads creating it (the losers' keys
    /// are deleted).
    package static func key(
        _ storage: borrowing Atomic<UInt32>,
        destructor: (@convention(c) (UnsafeMutableRawPointer?) -> Void)? = nil,
        created: (pthread_key_t) -> Void = { _ in }
    ) -> pthread_key_t {
        if let key = existing(storage) { return key }
        var key = pthread_key_t()
        let status = pthread_key_create(&key, destructor)
        precondition(status == 0, "pthread_key_create failed: \(status)")
        let (won, current) = storage.compareExchange(
            expected: 0, desired: key &+ 1, ordering: .acquiringAndReleasing)
        guard won else {
            pthread_key_delete(key)
            return current &- 1
        }
        created(key)
        return key
    }
}
