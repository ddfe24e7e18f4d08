// The slot transitions for CQEs the kernel dropped (EBADR), as values with no ring.

import Glibc
import Testing

@testable import URing

@Suite("Operation slots after dropped CQEs")
struct OperationSlotsResolveOperationsWhoseCompletionWasLost {
    @Test("a probed operation whose CQE never comes resumes once with EBADR; its late CQE is stale")
    func lostCompletionResumesOnce() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        slots.submitted(ticket, waiter: 9, completions: 1)
        #expect(slots.probeLost(ticket) == UserData(kind: .operation, ticket: ticket))
        guard case .resume(9, let outcome) = slots.resolveLost(ticket) else {
            Issue.record("expected the waiter back")
            return
        }
        #expect(outcome.result == -EBADR && outcome.completionsLost)
        #expect(slots.inUse == 0)
        guard case .ignore = slots.complete(UserData(kind: .operation, ticket: ticket), result: 1, flags: 0) else {
            Issue.record("a CQE after the resolution must be ignored")
            return
        }
    }

    @Test("a probed operation whose CQE does come resumes with its own result, marked, and cannot be resolved again")
    func probedOperationThatCompletes() {
        var slots = OperationSlots<Int>()
        let ticket = slots.reserve()
        slots.submitted(ticket, waiter: 3, completions: 1)
        _ = slots.probeLost(ticket)
        guard case .resume(3, let outcome) = slots.complete(UserData(kind: .operation, ticket: ticket), result: 64, flags: 0) else {
            Issue.record("expected a resume")
            return
        }
        #expect(outcome.result == 64 && outcome.completionsLost)
        guard case .ignore = slots.resolveLost(ticket) else {
            Issue.record("a completed operation must not be resolved as lost")
            return
        }
    }

    @Test("reserved or free slots are not probed; an armed multishot is, and is resolved like the rest")
    func probeOnlyWhatIsInTheKernel() {
        var slots = OperationSlots<Int>()
        let reserved = slots.reserve()
        #expect(slots.probeLost(reserved) == nil)
        slots.abandon(reserved)
        #expect(slots.probeLost(reserved) == nil)
        let multishot = slots.reserve()
        slots.armed(multishot, waiter: 4)
        #expect(slots.probeLost(multishot) != nil)
        guard case .resume(4, let outcome) = slots.resolveLost(multishot) else {
            Issue.record("expected the multishot waiter back")
            return
        }
        #expect(outcome.result == -EBADR)
    }
}
