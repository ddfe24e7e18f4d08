// How other threads wake a worker parked in its ring: an eventfd whose read is kept
// armed in that ring, plus a three-state atomic that makes the write rare.
//
// States: EMPTY (running, nobody asked), PARKED (about to wait, or waiting, in the
// ring), NOTIFIED (someone asked since the last park). Only the owner thread moves
// EMPTY -> PARKED and back to EMPTY; any thread may set NOTIFIED, and writes the eventfd
// only if it replaced PARKED, so a worker that is running costs its wakers one atomic
// exchange. A notification that comes before `beginPark` makes that park return at once:
// check (consume NOTIFIED), store (PARKED), recheck (the CQE of the eventfd read): no
// wake-up is lost.
//
// The eventfd is written only under `open`'s lock, which `close()` also takes, so a late
// waker can never write a descriptor that was closed (and perhaps reused).

import CLiburing
import Glibc
import Synchronization
import URingExecutor

final class WakeSignal: Sendable {
    private enum State: UInt8 {
        case empty = 0, parked = 1, notified = 2
    }

    /// The eventfd the owner's ring keeps a read armed on.
    let descriptor: Int32
    private let state = Atomic<UInt8>(State.empty.rawValue)
    /// Whether `descriptor` is still open. (A pthread lock, which ThreadSanitizer sees,
    /// unlike Mutex.)
    private let open = ThreadLock(true)

    init() throws(Errno) {
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        descriptor = fd
    }

    deinit { close() }

    /// Owner thread: takes a pending notification (NOTIFIED -> EMPTY); true if there was one.
    func takeNotification() -> Bool {
        state.compareExchange(
            expected: State.notified.rawValue, desired: State.empty.rawValue, ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Owner thread: EMPTY -> PARKED before waiting in the ring. False when a notification
    /// came in between (the state is EMPTY again and the owner must not wait).
    func beginPark() -> Bool {
        if state.compareExchange(
            expected: State.empty.rawValue, desired: State.parked.rawValue, ordering: .acquiringAndReleasing
        ).exchanged {
            return true
        }
        state.store(State.empty.rawValue, ordering: .releasing)
        return false
    }

    /// Owner thread: back to EMPTY after the wait (whatever woke it).
    func endPark() {
        state.store(State.empty.rawValue, ordering: .releasing)
    }

    /// Any thread: asks the owner to come out of (or not go into) its wait.
    func notify() {
        let previous = state.exchange(State.notified.rawValue, ordering: .acquiringAndReleasing)
        guard previous == State.parked.rawValue else { return }
        open.withLock { open in
            guard open else { return }
            var one: UInt64 = 1
            // eventfd writes of 8 bytes cannot be short; EAGAIN only at a counter near 2^64.
            _ = write(descriptor, &one, 8)
        }
    }

    /// Closes the eventfd (once); later notifications write nothing.
    func close() {
        open.withLock { open in
            guard open else { return }
            open = false
            Glibc.close(descriptor)
        }
    }

    /// Whether `close()` ran.
    var isClosed: Bool { !open.withLock { $0 } }
}
