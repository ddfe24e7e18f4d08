import Testing

@testable import URingExecutor

@Suite("Local queue overflow")
struct LocalQueueOverflowsToInjectionQueue {
    @Test("pushing into a full queue moves the oldest half and the new job to the injection queue")
    func overflowMovesHalf() {
        let queue = LocalQueue<Int>(capacity: 4, startIndex: UInt32.max - 1)
        let injection = InjectionQueue<Int>()
        for value in 0..<4 {
            #expect(queue.push(value, overflow: injection) == .queued)
        }
        #expect(queue.push(4, overflow: injection) == .overflowed(count: 3))
        #expect(queue.count == 2)
        #expect(injection.count == 3)
        #expect(injection.pop() == 0)
        #expect(injection.pop() == 1)
        #expect(injection.pop() == 4)
        #expect(queue.pop() == 2)
        #expect(queue.pop() == 3)
        #expect(queue.pop() == nil)
    }

    @Test("repeated overflow loses and duplicates nothing")
    func repeatedOverflow() {
        let queue = LocalQueue<Int>(capacity: 4)
        let injection = InjectionQueue<Int>()
        for value in 0..<1_000 { queue.push(value, overflow: injection) }
        var seen: [Int] = []
        while let value = queue.pop() { seen.append(value) }
        while let value = injection.pop() { seen.append(value) }
        #expect(seen.sorted() == Array(0..<1_000))
    }

    @Test("a closed injection queue refuses pushes and hands back what it held")
    func closedInjectionQueue() {
        let injection = InjectionQueue<Int>()
        #expect(injection.push(1))
        #expect(injection.push(2))
        #expect(injection.close() == [1, 2])
        #expect(!injection.push(3))
        #expect(injection.pop() == nil)
    }
}
