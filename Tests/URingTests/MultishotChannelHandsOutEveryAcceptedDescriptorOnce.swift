// The multishot channel and the multishot slot lifecycle as values, with no ring.

import Testing
@testable import URing

@Suite("Multishot channel and slots")
struct MultishotChannelHandsOutEveryAcceptedDescriptorOnce {
    typealias Channel = MultishotChannel<Int32, Int>
    let ticket = SlotTicket(index: 3, generation: 1)

    @Test("the first next arms the ring; a delivered element resumes the waiter")
    func armThenDeliver() {
        var channel = Channel()
        guard case .wait(arm: true) = channel.next() else { return #expect(Bool(false), "first next must arm") }
        let armed = channel.arming(ticket)
        #expect(armed)
        guard case .suspended = channel.wait(1) else { return #expect(Bool(false)) }
        guard case .resume(1, .element(10)) = channel.deliver(10) else { return #expect(Bool(false)) }
        // Armed already: the next next waits without arming again; deliveries buffer.
        guard case .buffered = channel.deliver(11) else { return #expect(Bool(false)) }
        guard case .ready(.element(11)) = channel.next() else { return #expect(Bool(false)) }
        guard case .wait(arm: false) = channel.next() else { return #expect(Bool(false)) }
    }

    @Test("leaving cancels the armed slot, resumes the waiter and hands back what was buffered")
    func leaveCancelsAndDiscards() {
        var channel = Channel()
        _ = channel.next()
        _ = channel.arming(ticket)
        _ = channel.deliver(20)
        _ = channel.deliver(21)
        let action = channel.leave()
        #expect(action.cancel == ticket)
        #expect(action.discarded == [20, 21])
        #expect(action.waiter == nil)
        // Later deliveries and the final CQE's descriptor are discarded too.
        guard case .discard(22) = channel.deliver(22) else { return #expect(Bool(false)) }
        guard case .discard(23) = channel.finish(last: 23, failure: nil) else { return #expect(Bool(false)) }
        guard case .ready(.end) = channel.next() else { return #expect(Bool(false)) }
    }

    @Test("a consumer that leaves before the SQE is submitted stops the submission")
    func leaveBeforeArming() {
        var channel = Channel()
        _ = channel.next()
        let action = channel.leave()
        #expect(action.cancel == nil)
        let armed = channel.arming(ticket)
        #expect(!armed)
        guard case .none = channel.finish(last: nil, failure: CancellationError()) else { return #expect(Bool(false)) }
    }

    @Test("a quiet end while the consumer waits re-arms; an error reaches it after the buffer drains")
    func rearmAndFailure() {
        var channel = Channel()
        _ = channel.next()
        _ = channel.arming(ticket)
        _ = channel.wait(5)
        guard case .rearm = channel.finish(last: nil, failure: nil) else { return #expect(Bool(false), "must re-arm") }
        _ = channel.arming(ticket)
        guard case .resume(5, .element(30)) = channel.deliver(30) else { return #expect(Bool(false)) }
        _ = channel.deliver(31)
        guard case .none = channel.finish(last: nil, failure: Errno.badFileDescriptor) else { return #expect(Bool(false)) }
        guard case .ready(.element(31)) = channel.next() else { return #expect(Bool(false)) }
        guard case .ready(.failure) = channel.next() else { return #expect(Bool(false)) }
        guard case .ready(.end) = channel.next() else { return #expect(Bool(false)) }
    }

    @Test("a multishot slot delivers F_MORE CQEs, cancels via disarming, and is freed by the last CQE")
    func multishotSlotLifecycle() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        slots.armed(ticket, waiter: 4)
        let more: UInt32 = 1 << 1  // IORING_CQE_F_MORE
        for fd in Int32(10)..<13 {
            guard case .deliver(4, fd, more) = slots.complete(UserData(kind: .operation, ticket: ticket), result: fd, flags: more)
            else { return #expect(Bool(false), "F_MORE must deliver") }
        }
        #expect(slots.inUse == 1)
        #expect(slots.inFlightTickets() == [ticket])
        #expect(slots.cancel(ticket) == .submitCancel(UserData(kind: .operation, ticket: ticket)))
        #expect(slots.cancel(ticket) == .ignore)
        // A connection that raced the cancel still arrives, then the final CQE.
        guard case .deliver(4, 13, _) = slots.complete(UserData(kind: .operation, ticket: ticket), result: 13, flags: more)
        else { return #expect(Bool(false)) }
        guard case .resume(4, let outcome) = slots.complete(UserData(kind: .operation, ticket: ticket), result: -125, flags: 0)
        else { return #expect(Bool(false), "the CQE without F_MORE must end it") }
        #expect(outcome.cancelRequested && outcome.result == -125)
        #expect(slots.inUse == 0)
        guard case .ignore = slots.complete(UserData(kind: .operation, ticket: ticket), result: 14, flags: more)
        else { return #expect(Bool(false), "a CQE after the end is stale") }
    }
}
