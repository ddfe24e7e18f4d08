import Testing

@testable import URingExecutor

@Suite("Local queue stealing")
struct LocalQueueStealsHalf {
    @Test("a stealer takes half (rounded up) of the oldest jobs and returns one to run")
    func stealHalf() throws {
        let victim = LocalQueue<Int>(capacity: 4, startIndex: UInt32.max)
        let thief = LocalQueue<Int>(capacity: 4, startIndex: 7)
        let injection = InjectionQueue<Int>()
        for value in 0..<3 { victim.push(value, overflow: injection) }
        let stolen = try #require(victim.steal(into: thief))
        #expect(stolen.moved == 2)
        #expect(stolen.element == 1)
        #expect(thief.pop() == 0)
        #expect(thief.pop() == nil)
        #expect(victim.pop() == 2)
        #expect(victim.pop() == nil)
    }

    @Test("a stealer whose own queue is more than half full takes nothing")
    func fullThiefTakesNothing() {
        let victim = LocalQueue<Int>(capacity: 4)
        let thief = LocalQueue<Int>(capacity: 4)
        let injection = InjectionQueue<Int>()
        for value in 0..<4 { victim.push(value, overflow: injection) }
        for value in 10..<13 { thief.push(value, overflow: injection) }
        #expect(victim.steal(into: thief) == nil)
        #expect(victim.count == 4)
    }

    @Test("a stealer given a limit takes at most that many of the oldest jobs, and half when half is fewer")
    func stealAtMost() throws {
        let victim = LocalQueue<Int>(capacity: 16, startIndex: UInt32.max - 3)
        let thief = LocalQueue<Int>(capacity: 16)
        let injection = InjectionQueue<Int>()
        for value in 0..<10 { victim.push(value, overflow: injection) }
        let limited = try #require(victim.steal(into: thief, atMost: 3))
        #expect(limited.moved == 3)
        #expect(limited.element == 2)
        #expect(thief.pop() == 0)
        #expect(thief.pop() == 1)
        #expect(thief.pop() == nil)
        #expect(victim.count == 7)
        // 7 left: half rounded up is 4, under the limit of 6.
        let half = try #require(victim.steal(into: thief, atMost: 6))
        #expect(half.moved == 4)
        #expect(half.element == 6)
        #expect(victim.count == 3)
        #expect(victim.pop() == 7)
    }
}
