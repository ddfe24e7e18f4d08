// The slot lifecycle as values, with no ring: every transition and its action.

import Testing
@testable import URing

@Suite("Operation slots")
struct OperationSlotsResumeEachWaiterOnce {
    @Test("a slot is resumed exactly once, then reused with a new generation")
    func resumeOnceThenReuse() {
        var slots = OperationSlots<Int>()
        let first = slots.reserve()
        slots.submitted(first, waiter: 7, completions: 1)
        guard case .resume(7, let outcome) = slots.complete(UserData(kind: .operation, ticket: first), result: 42, flags: 0) else {
            Issue.record("expected a resume")
            return
        }
        #expect(outcome.result == 42 && !outcome.cancelRequested && !outcome.timedOut)
        #expect(slots.inUse == 0)
        // The same CQE again is stale: dropped and counted, never resumed twice.
        guard case .ignore = slots.complete(UserData(kind: .operation, ticket: first), result: 42, flags: 0) else {
            Issue.record("a duplicate CQE must be ignored")
            return
        }
        #expect(slots.staleCompletions == 1)
        let second = slots.reserve()
        #expect(second.index == first.index)
        #expect(second.generation == first.generation + 1)
    }

    @Test("a CQE carrying an old generation does not resume the slot's new operation")
    func staleGenerationIsDropped() {
        var slots = OperationSlots<Int>()
        let old = slots.reserve()
        slots.submitted(old, waiter: 1, completions: 1)
        _ = slots.complete(UserData(kind: .operation, ticket: old), result: 0, flags: 0)
        let new = slots.reserve()
        slots.submitted(new, waiter: 2, completions: 1)
        guard case .ignore = slots.complete(UserData(kind: .operation, ticket: old), result: 5, flags: 0) else {
            Issue.record("old generation resumed the new operation")
            return
        }
        guard case .resume(2, _) = slots.complete(UserData(kind: .operation, ticket: new), result: 5, flags: 0) else {
            Issue.record("the new operation was not resumed")
            return
        }
    }

    @Test("cancelling an in-flight slot asks for one ASYNC_CANCEL and marks the outcome")
    func cancelInFlight() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        slots.submitted(ticket, waiter: 3, completions: 1)
        #expect(slots.cancel(ticket) == .submitCancel(UserData(kind: .operation, ticket: ticket)))
        #expect(slots.cancel(ticket) == .ignore)
        guard case .resume(3, let outcome) = slots.complete(UserData(kind: .operation, ticket: ticket), result: -125, flags: 0)
        else {
            Issue.record("expected a resume")
            return
        }
        #expect(outcome.cancelRequested)
        #expect(slots.cancel(ticket) == .ignore)
    }

    @Test("a cancel that reaches a reserved slot is remembered for the submitter")
    func cancelReserved() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        #expect(slots.cancel(ticket) == .ignore)
        #expect(slots.isCancelRequested(ticket).cancelled)
        slots.abandon(ticket)
        #expect(slots.inUse == 0)
    }

    @Test("a linked operation waits for both CQEs and reports the timeout that fired")
    func linkedTimeout() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        slots.submitted(ticket, waiter: 9, completions: 2)
        guard case .wait = slots.complete(UserData(kind: .linkedTimeout, ticket: ticket), result: -62, flags: 0) else {
            Issue.record("resumed before the operation's own CQE")
            return
        }
        guard case .resume(9, let outcome) = slots.complete(UserData(kind: .operation, ticket: ticket), result: -125, flags: 0)
        else {
            Issue.record("expected a resume")
            return
        }
        #expect(outcome.timedOut)
    }

    @Test("the slab grows past a chunk and every slot comes back")
    func growsAndRecycles() {
        var slots = OperationSlots<Int>()
        let tickets = (0..<200).map { _ in slots.reserve() }
        #expect(Set(tickets.map(\.index)).count == 200)
        for (waiter, ticket) in tickets.enumerated() { slots.submitted(ticket, waiter: waiter, completions: 1) }
        #expect(slots.inFlightTickets().count == 200)
        for ticket in tickets { _ = slots.complete(UserData(kind: .operation, ticket: ticket), result: 0, flags: 0) }
        #expect(slots.inUse == 0)
        #expect(slots.capacity == 256)
    }

    @Test("reserved user_data tags never name a slot")
    func reservedTags() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        slots.submitted(ticket, waiter: 1, completions: 1)
        for tag in [UserData.eventFDWake, .cancelRequest] {
            #expect(tag.kind == .reserved)
            guard case .ignore = slots.complete(tag, result: 0, flags: 0) else {
                Issue.record("\(tag) resumed a slot")
                return
            }
        }
        #expect(slots.inUse == 1)
    }
}
