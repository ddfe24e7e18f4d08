// Before polling its own parker, a worker whose queue ran dry takes part of a peer's
// queue only when that backlog is larger than what its last poll handed back, and then
// about half the difference (Worker.takePeerBacklog): an uneven split of I/O-bound tasks
// evens out, an even one stays put, and a take never overshoots into a split the peer
// would take back.

import Testing

@testable import URingExecutor

@Suite("Taking a peer's backlog before polling")
struct AWorkerTakesAPeerBacklogOnlyWhenItIsLarger {
    @Test("a worker holding few tasks takes about half the difference of a large backlog")
    func unevenSplitEvensOut() {
        // 2 tasks here, 28 queued there: take 13, leaving 15 here and 15 there.
        #expect(Worker.backlogToTake(queued: 28, held: 2) == 13)
        // Nothing held (a worker whose tasks do not do I/O): half of the backlog.
        #expect(Worker.backlogToTake(queued: 8, held: 0) == 4)
        #expect(Worker.backlogToTake(queued: 17, held: 15) == 1)
    }

    @Test("an even split, or a backlog below the threshold, is left alone")
    func evenSplitStays() {
        #expect(Worker.backlogToTake(queued: 16, held: 16) == nil)
        #expect(Worker.backlogToTake(queued: 16, held: 15) == nil)
        #expect(Worker.backlogToTake(queued: 15, held: 16) == nil)
        #expect(Worker.backlogToTake(queued: SchedulerTuning.balanceThreshold - 1, held: 0) == nil)
    }

    @Test("after a take the peer has no reason to take the jobs back")
    func noPingPong() {
        for held in 0...40 {
            for queued in 0...80 {
                guard let taken = Worker.backlogToTake(queued: queued, held: held) else { continue }
                #expect(taken >= 1 && taken <= queued)
                // Here afterwards: held + taken; the peer keeps at least queued - taken, all of
                // which its next poll hands back once they are its tasks in flight.
                let here = held + taken
                let there = queued - taken
                #expect(Worker.backlogToTake(queued: here - 1, held: there) == nil,
                        "held \(held), queued \(queued): took \(taken), and the peer would take back")
            }
        }
    }
}
