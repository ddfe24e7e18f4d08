// What other threads ask of a driver, and how it answers: cancellations, starts for
// callers on threads that own no ring, shutdown and statistics arrive through the
// Mailbox plus an unpark; the owner drains them at every poll and park. After shutdown
// the mailbox is closed and a poster answers its own message (`refuse`), so nothing
// waits forever.

import CLiburing
import Dispatch
import Glibc

extension CompletionDriver {
    /// Asks for `ticket`'s operation to be cancelled; safe from any thread.
    func requestCancel(_ ticket: SlotTicket) {
        post(.cancel(ticket))
    }

    /// Leaves `message` for this driver and wakes it; any thread. After the driver shut
    /// down, the message is answered here: its waiter resumes with a shutdown outcome.
    func post(_ message: DriverMessage) {
        if mailbox.post(message) {
            unpark()
        } else {
            Self.refuse(message)
        }
    }

    /// Answers a message no driver will handle: operations resume as refused by shutdown.
    static func refuse(_ message: DriverMessage) {
        switch message {
        case .startRemote(let submission), .startReserved(let submission, _):
            submission.continuation.resume(returning: .cancelledBeforeSubmission(shutdown: true))
        case .startMultishot(let operation):
            operation.finish(.cancelledBeforeSubmission(shutdown: true))
        case .shutdown(let latch):
            latch.signal()
        case .statistics(let request):
            request.deliver(nil)
        case .cancel, .cancelRemote, .removeRegisteredFile:
            break
        }
    }

    /// Handles every posted message (owner thread).
    func drainMailbox() {
        mailbox.drain(into: &drained)
        guard !drained.isEmpty else { return }
        var shutdownLatch: DispatchSemaphore?
        for message in drained {
            switch message {
            case .cancel(let ticket):
                submitCancel(slots.cancel(ticket))
            case .startRemote(let submission):
                counters.remoteSubmissions += 1
                if submission.cancelled {
                    submission.continuation.resume(returning: .cancelledBeforeSubmission(shutdown: false))
                    continue
                }
                let ticket = slots.reserve()
                submission.ticket = ticket
                submission.start(on: self, ticket: ticket)
            case .startReserved(let submission, let ticket):
                counters.remoteSubmissions += 1
                submission.ticket = ticket
                submission.start(on: self, ticket: ticket)
            case .cancelRemote(let submission):
                if let ticket = submission.ticket {
                    submitCancel(slots.cancel(ticket))
                } else {
                    submission.cancelled = true
                }
            case .startMultishot(let operation):
                startMultishot(operation)
            case .shutdown(let latch):
                shutdownLatch = latch
            case .statistics(let request):
                request.deliver(statistics)
            case .removeRegisteredFile(let removal):
                removeRegisteredFile(removal)
            }
        }
        drained.removeAll(keepingCapacity: true)
        if let shutdownLatch {
            shutdown()
            shutdownLatch.signal()
        }
    }

    func submitCancel(_ action: CancelAction) {
        guard case .submitCancel(let target) = action else { return }
        submitCancel(of: target, as: .cancelRequest)
    }

    /// An ASYNC_CANCEL of `target`. A plain cancel request (`.cancelRequest`) is counted
    /// and needs no CQE on success (the target's own CQE reports it); a lost-completion
    /// probe wants its CQE, which says whether the kernel still had the target.
    func submitCancel(of target: UserData, as tag: UserData) {
        do throws(Errno) {
            let entry = try ring.nextEntry()
            entry.cancel(target: target.rawValue)
            entry.userData = tag.rawValue
            if tag == .cancelRequest {
                entry.flags = .skipSuccessCompletion
                counters.cancellationsSubmitted += 1
            }
        } catch {
            fatalError("io_uring refused a cancel SQE on worker \(index): \(error)")
        }
    }
}
