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
import Synchronization
import URingExecutor

enum CurrentDriver {
    /// The pthread key + 1 (`ThreadKey`): read by every operation without swift_once.
    private static let slot = Atomic<UInt32>(0)

    /// The calling thread's driver; nil on threads that are not runtime workers.
    @inline(__always)
    static var driver: CompletionDriver? {
        unretainedDriver?.takeUnretainedValue()
    }

    /// The calling thread's driver, unretained (the per-operation path, see `perform`).
    @inline(__always)
    static var unretainedDriver: Unmanaged<CompletionDriver>? {
        guard let pointer = ThreadKey.value(slot) else { return nil }
        // Safety: the key holds a retained driver until the thread exits.
        return Unmanaged<CompletionDriver>.fromOpaque(pointer)
    }

    /// Makes `driver` the calling thread's driver for the rest of the thread's life.
    static func register(_ driver: CompletionDriver) {
        // Safety: the destructor balances the retain taken below.
        let key = ThreadKey.key(slot, destructor: { pointer in
            guard let pointer else { return }
            Unmanaged<CompletionDriver>.fromOpaque(pointer).release()
        }, created: { _ in
            // Captures nothing, so it is a C function pointer. It fails only with ENOMEM;
            // then a child forked from a worker would find the parent's driver.
            _ = pthread_atfork(nil, nil) { CurrentDriver.clearInForkChild() }
        })
        if let old = pthread_getspecific(key) {
            Unmanaged<CompletionDriver>.fromOpaque(old).release()
        }
        pthread_setspecific(key, Unmanaged.passRetained(driver).toOpaque())
    }

    /// The fork child handler: forgets the forking thread's driver (leaking it, see above).
    private static func clearInForkChild() {
        if let key = ThreadKey.existing(slot) { pthread_setspecific(key, nil) }
    }
}
