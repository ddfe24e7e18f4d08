// The driver's side of dropped-CQE (EBADR) recovery; the protocol is stated in
// LostCompletionRecovery.swift. Owner thread only.

import CLiburing
import Glibc

extension CompletionDriver {
    /// Step 2: cancel every operation in flight with a probe whose own CQE says whether
    /// the kernel still had it.
    func probeForLostCompletions() {
        counters.lostCompletionRecoveries += 1
        for ticket in slots.inFlightTickets() {
            guard let target = slots.probeLost(ticket) else { continue }
            submitCancel(of: target, as: UserData(kind: .lostProbe, ticket: ticket))
        }
    }

    /// Step 3: a probe's CQE.
    func probeAnswered(_ probe: UserData, result: Int32) {
        // ENOENT: the kernel no longer has the operation; its CQE was posted, or lost.
        if result == -ENOENT {
            lostCompletions.kernelForgot(probe.ticket, at: .now)
        }
    }

    /// Step 4: ends the suspects whose grace period passed and whose CQE still has not come.
    func resolveLostSuspects() {
        let now = ContinuousClock.now
        guard lostCompletions.hasExpired(at: now) else { return }
        // A CQE still in the kernel's overflow list is not lost: flush and reap first.
        enter(.submit(getEvents: true))
        reapCompletions()
        for ticket in lostCompletions.takeExpired(at: now) {
            if case .resume(let waiter, let outcome) = slots.resolveLost(ticket) {
                counters.lostCompletions += 1
                resume(waiter, outcome)
            }
        }
    }
}
