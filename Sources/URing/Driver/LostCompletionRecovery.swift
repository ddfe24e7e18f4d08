// Recovery from dropped CQEs (EBADR): which operations lost their completion for good.
//
// The protocol, run by the driver (CompletionDriver+LostCompletions.swift):
//   1. io_uring_enter returns EBADR: the kernel could not allocate an overflow entry and
//      dropped one or more CQEs. The Ring counts it and reports it once.
//   2. The driver cancels every operation in flight with a probe: an ASYNC_CANCEL tagged
//      `UserData.Kind.lostProbe`, whose own CQE is always posted. The slots remember
//      that their operation was probed (`OperationSlots.probeLost`).
//   3. A probe answered -ENOENT means the kernel no longer has the operation: its CQE was
//      either posted (and may still be on its way) or dropped. The ticket becomes a
//      suspect here, with the time that was learned.
//   4. A suspect still unfinished `grace` later, after an enter that flushes the kernel's
//      overflow list, lost its CQE: its waiter resumes with EBADR
//      (`OperationSlots.resolveLost`). While suspects wait, parks are bounded by `grace`.
//   5. Probed operations the kernel still had end as cancelled; their callers get EBADR
//      too (they did not cancel); timers keep their deadline in the fallback heap.
// This type is steps 3 and 4's bookkeeping: a value, tested without a ring.

struct LostCompletionRecovery {
    /// How long a suspect's CQE may still arrive before it counts as lost.
    static let grace = Duration.milliseconds(20)

    private var suspects: [(ticket: SlotTicket, since: ContinuousClock.Instant)] = []

    /// Whether any operation awaits its verdict.
    var isSettling: Bool { !suspects.isEmpty }

    /// A probe learned at `now` that the kernel no longer has `ticket`'s operation.
    mutating func kernelForgot(_ ticket: SlotTicket, at now: ContinuousClock.Instant) {
        suspects.append((ticket, now))
    }

    /// Whether some suspect's grace period has passed at `now`.
    func hasExpired(at now: ContinuousClock.Instant) -> Bool {
        suspects.contains { now - $0.since >= Self.grace }
    }

    /// Removes and returns the suspects whose grace period has passed at `now`, oldest
    /// first; the younger ones keep waiting.
    mutating func takeExpired(at now: ContinuousClock.Instant) -> [SlotTicket] {
        var expired: [SlotTicket] = []
        suspects.removeAll { suspect in
            guard now - suspect.since >= Self.grace else { return false }
            expired.append(suspect.ticket)
            return true
        }
        return expired
    }

    /// How long a park may wait: `timeout`, bounded by the grace period while suspects wait.
    func parkTimeout(_ timeout: Duration?) -> Duration? {
        guard isSettling else { return timeout }
        return min(timeout ?? Self.grace, Self.grace)
    }
}
