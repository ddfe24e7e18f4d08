import Synchronization
import Testing

@testable import URingExecutor

@Suite("Local queue under concurrent steals")
struct LocalQueueTakesEveryJobOnceUnderConcurrentSteals {
    @Test("with an owner pushing and popping while a thief steals, every job is taken exactly once (10k seeds)")
    func everyJobTakenOnce() throws {
        let rounds = 10_000
        let owner = LocalQueue<Int>(capacity: 4)
        let thiefQueue = LocalQueue<Int>(capacity: 4)
        let injection = InjectionQueue<Int>()
        let barrier = SpinBarrier(parties: 2)
        let stolen = Locked<[Int]>([])
        let ownerFinishedRound = Atomic<Int>(-1)

        let thief = try JoinableThread {
            for round in 0..<rounds {
                var random = SplitMix64(seed: UInt64(round) &* 7_919 &+ 1)
                barrier.arrive()  // round starts
                var taken: [Int] = []
                // Steal until the owner is done with its operations, popping our own queue
                // only now and then so that it sometimes is too full to steal into.
                while ownerFinishedRound.load(ordering: .acquiring) != round {
                    if let (element, _) = owner.steal(into: thiefQueue) { taken.append(element) }
                    if Bool.random(using: &random) {
                        while let more = thiefQueue.pop() { taken.append(more) }
                    }
                }
                while let more = thiefQueue.pop() { taken.append(more) }
                stolen.withLock { $0.append(contentsOf: taken) }
                barrier.arrive()  // round ends
            }
        }

        var failures = 0
        for round in 0..<rounds {
            var random = SplitMix64(seed: UInt64(round))
            var pushed: [Int] = []
            var taken: [Int] = []
            barrier.arrive()
            for _ in 0..<Int.random(in: 1...48, using: &random) {
                if Int.random(in: 0..<10, using: &random) < 7 {
                    let job = round * 100 + pushed.count
                    owner.push(job, overflow: injection)
                    pushed.append(job)
                } else if let job = owner.pop() {
                    taken.append(job)
                }
            }
            ownerFinishedRound.store(round, ordering: .releasing)
            barrier.arrive()
            while let job = owner.pop() { taken.append(job) }
            while let job = injection.pop() { taken.append(job) }
            taken += stolen.withLock { list in
                defer { list.removeAll() }
                return list
            }
            if taken.sorted() != pushed { failures += 1 }
        }
        thief.join()
        #expect(failures == 0, "rounds where a job was lost or taken twice")
    }
}
