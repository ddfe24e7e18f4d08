// Operations that wait for an fd: epoll bookkeeping (one EPOLLONESHOT registration per
// fd, re-armed for whoever still waits), retries on readiness, and CLOSE ending what
// waits on the fd. Owner thread only.

import CLiburing
import Glibc

extension RingEmulator {
    // MARK: Readiness

    func attemptOrWait(_ operation: EmulatedOperation) {
        while true {
            switch EmulatedCalls.attempt(operation) {
            case .done(let result):
                return finish(operation, result: result)
            case .more(let result):
                post(operation.userData, result, flags: IORING_CQE_F_MORE)
            case .wouldBlock(let wanted):
                return wait(operation, for: wanted)
            }
        }
    }

    func wait(_ operation: EmulatedOperation, for wanted: UInt32) {
        let fd = operation.sqe.fd
        operation.state = .waiting(events: wanted)
        waiters[fd, default: FDWaiters()].operations.append(operation.id)
        updateInterest(fd)
    }

    func fdBecameReady(_ fd: Int32, events ready: UInt32) {
        guard let entry = waiters[fd] else { return }
        waiters[fd]?.armed = 0  // EPOLLONESHOT: this registration is spent.
        // An error or hang-up concerns every waiter (its call will report it), whatever
        // it waits for.
        let always = EmulatedSystemCalls.epollError | EmulatedSystemCalls.epollHangUp
        for id in entry.operations {
            guard let operation = operations[id], case .waiting(let wanted) = operation.state,
                wanted & ready != 0 || ready & always != 0
            else { continue }
            operation.state = .starting
            removeWaiter(id, fd: fd)
            attemptOrWait(operation)
        }
        updateInterest(fd)
    }

    func removeWaiter(_ id: UInt64, fd: Int32) {
        waiters[fd]?.operations.removeAll { $0 == id }
    }

    /// Arms, re-arms or removes `fd` in the epoll set to match its waiters.
    func updateInterest(_ fd: Int32) {
        guard var entry = waiters[fd] else { return }
        var wanted: UInt32 = 0
        for id in entry.operations {
            if let operation = operations[id], case .waiting(let events) = operation.state { wanted |= events }
        }
        if wanted == 0 {
            if entry.present {
                _ = EmulatedSystemCalls.epollControl(epollFD, EmulatedSystemCalls.epollDelete, fd, events: 0, data: 0)
            }
            waiters[fd] = nil
            return
        }
        if wanted == entry.armed { return }
        let events = wanted | EmulatedSystemCalls.epollOneShot
        let data = UInt64(UInt32(bitPattern: fd))
        var status = EmulatedSystemCalls.epollControl(
            epollFD, entry.present ? EmulatedSystemCalls.epollModify : EmulatedSystemCalls.epollAdd, fd,
            events: events, data: data)
        if status != 0 && (errno == ENOENT || errno == EEXIST) {
            // The set and this record disagree (the fd was closed and its number reused):
            // the other operation does it.
            status = EmulatedSystemCalls.epollControl(
                epollFD, errno == ENOENT ? EmulatedSystemCalls.epollAdd : EmulatedSystemCalls.epollModify, fd,
                events: events, data: data)
        }
        if status != 0 {
            // Not pollable (or gone): every waiter ends with the error.
            let error = -errno
            waiters[fd] = nil
            for id in entry.operations {
                if let operation = operations[id] { finish(operation, result: error) }
            }
            return
        }
        entry.armed = wanted
        entry.present = true
        waiters[fd] = entry
    }

    /// A CLOSE through the ring: operations still waiting on the fd end (-ECANCELED)
    /// and the fd leaves the epoll set before its number can be reused.
    func dropWaiters(on fd: Int32) {
        guard let entry = waiters[fd] else { return }
        waiters[fd] = nil
        if entry.present {
            _ = EmulatedSystemCalls.epollControl(epollFD, EmulatedSystemCalls.epollDelete, fd, events: 0, data: 0)
        }
        for id in entry.operations {
            if let operation = operations[id] { finish(operation, result: -ECANCELED) }
        }
    }
}
