// Which CompletionDriver belongs to the calling thread, if any.
//
// A driver registers itself on its worker thread when it is created there. The slot
// holds a strong reference that the thread-exit destructor releases, so a driver is
// never freed while its thread can still find it.
//
// Fork: a thread that forks from inside a job keeps its keys in the child, where the
// driver's ring is not mapped (MADV_DONTFORK) and no thread serves its mailbox. A
// pthread_atfork child handler, registered with the key, clears the slot on the forking
// thread in the child (leaking the reference: releasing it could tear down a ring the
// child does not have), so I/O from that thread takes the remote path, which refuses
// runtimes inherited through fork with URingError.forkedChild.

import Glibc

enum CurrentDriver {
    // Safety: created once; the destructor balances the retain taken in `register`.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<CompletionDriver>.fromOpaque(pointer).release()
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        // Captures nothing, so it is a C function pointer. It fails only with ENOMEM;
        // then a child forked from a worker would find the parent's driver.
        _ = pthread_atfork(nil, nil) { pthread_setspecific(CurrentDriver.key, nil) }
        return key
    }()

    /// The calling thread's driver; nil on threads that are not runtime workers.
    @inline(__always)
    static var driver: CompletionDriver? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<CompletionDriver>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Makes `driver` the calling thread's driver for the rest of the thread's life.
    static func register(_ driver: CompletionDriver) {
        if let old = pthread_getspecific(key) {
            Unmanaged<CompletionDriver>.fromOpaque(old).release()
        }
        pthread_setspecific(key, Unmanaged.passRetained(driver).toOpaque())
    }
}
