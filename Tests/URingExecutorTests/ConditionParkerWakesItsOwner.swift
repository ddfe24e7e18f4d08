import Testing

@testable import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

@Suite("ConditionParker")
struct ConditionParkerWakesItsOwner {
    @Test("an unpark before park makes the next park return at once")
    func unparkBeforePark() {
        let parker = ConditionParker()
        parker.unpark()
        let start = ContinuousClock.now
        parker.park(deadline: .now + .seconds(10))
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a park with a deadline returns after the deadline when nobody unparks")
    func deadlinePasses() {
        let parker = ConditionParker()
        let start = ContinuousClock.now
        parker.park(deadline: start + .milliseconds(30))
        #expect(ContinuousClock.now - start >= .milliseconds(30))
    }

    @Test("an unpark from another thread wakes a parked owner, 1,000 times in a row")
    func unparkFromOtherThread() throws {
        let parker = ConditionParker()
        let rounds = 1_000
        let turn = Counter()
        let waker = try JoinableThread {
            for round in 1...rounds {
                while turn.value < round { sched_yield() }
                parker.unpark()
            }
        }
        var lostWakeUps: [Int] = []
        for round in 1...rounds {
            turn.increment()
            // A lost wake-up is a park that runs to its deadline (a generous one: reaching
            // it on time is not the question, reaching it at all is).
            let deadline = ContinuousClock.now + .seconds(20)
            parker.park(deadline: deadline)
            if ContinuousClock.now >= deadline { lostWakeUps.append(round) }
        }
        waker.join()
        #expect(lostWakeUps.isEmpty, "rounds whose park ran to its deadline: \(lostWakeUps)")
    }
}
