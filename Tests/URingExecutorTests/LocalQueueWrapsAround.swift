import Testing

@testable import URingExecutor

@Suite("Local queue at capacity 4")
struct LocalQueueWrapsAround {
    @Test("a capacity-4 queue stays FIFO while its slots and its UInt32 indices wrap around")
    func fifoAcrossWraparound() {
        let queue = LocalQueue<Int>(capacity: 4, startIndex: UInt32.max - 5)
        let overflow = InjectionQueue<Int>()
        var next = 0
        var expected = 0
        for round in 0..<200 {
            let pushes = round % 4 + 1
            for _ in 0..<pushes {
                #expect(queue.push(next, overflow: overflow) == .queued)
                next += 1
            }
            #expect(queue.count == pushes)
            for _ in 0..<pushes {
                #expect(queue.pop() == expected)
                expected += 1
            }
            #expect(queue.pop() == nil)
        }
        #expect(overflow.isEmpty)
    }

    @Test("an empty queue pops nothing and has nothing to steal")
    func emptyQueue() {
        let queue = LocalQueue<Int>(capacity: 4)
        let thief = LocalQueue<Int>(capacity: 4)
        #expect(queue.pop() == nil)
        #expect(queue.steal(into: thief) == nil)
        #expect(thief.isEmpty)
    }
}
