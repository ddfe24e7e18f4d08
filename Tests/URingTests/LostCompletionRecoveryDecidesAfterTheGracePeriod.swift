// The bookkeeping of dropped-CQE recovery (LostCompletionRecovery), without a ring: an
// operation the kernel forgot counts as lost only once its grace period has passed, and
// parks are bounded while any verdict is pending.

import Testing

@testable import URing

@Suite("Lost-completion recovery decides after the grace period")
struct LostCompletionRecoveryDecidesAfterTheGracePeriod {
    let start = ContinuousClock.now
    let grace = LostCompletionRecovery.grace

    @Test("a suspect is not lost before its grace period and is lost, once, after it")
    func suspectExpiresOnce() {
        var recovery = LostCompletionRecovery()
        #expect(!recovery.isSettling)
        let ticket = SlotTicket(index: 3, generation: 7)
        recovery.kernelForgot(ticket, at: start)
        #expect(recovery.isSettling)
        #expect(!recovery.hasExpired(at: start + grace - .nanoseconds(1)))
        #expect(recovery.takeExpired(at: start + grace - .nanoseconds(1)).isEmpty)
        #expect(recovery.hasExpired(at: start + grace))
        #expect(recovery.takeExpired(at: start + grace) == [ticket])
        #expect(recovery.takeExpired(at: start + grace * 10).isEmpty)
        #expect(!recovery.isSettling)
    }

    @Test("younger suspects keep waiting while older ones are decided, oldest first")
    func youngerSuspectsWait() {
        var recovery = LostCompletionRecovery()
        let old1 = SlotTicket(index: 1, generation: 1), old2 = SlotTicket(index: 2, generation: 1)
        let young = SlotTicket(index: 9, generation: 4)
        recovery.kernelForgot(old1, at: start)
        recovery.kernelForgot(young, at: start + grace / 2)
        recovery.kernelForgot(old2, at: start + .milliseconds(1))
        #expect(recovery.takeExpired(at: start + grace + .milliseconds(1)) == [old1, old2])
        #expect(recovery.isSettling)
        #expect(!recovery.hasExpired(at: start + grace + .milliseconds(1)))
        #expect(recovery.takeExpired(at: start + grace / 2 + grace) == [young])
        #expect(!recovery.isSettling)
    }

    @Test("parks are bounded by the grace period only while a verdict is pending")
    func parkTimeoutIsBoundedWhileSettling() {
        var recovery = LostCompletionRecovery()
        #expect(recovery.parkTimeout(nil) == nil)
        #expect(recovery.parkTimeout(.seconds(5)) == .seconds(5))
        recovery.kernelForgot(SlotTicket(index: 0, generation: 0), at: start)
        #expect(recovery.parkTimeout(nil) == grace)
        #expect(recovery.parkTimeout(.seconds(5)) == grace)
        #expect(recovery.parkTimeout(.milliseconds(1)) == .milliseconds(1))
        #expect(recovery.parkTimeout(.zero) == .zero)
    }
}
