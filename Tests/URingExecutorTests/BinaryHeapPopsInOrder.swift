// The one binary heap both modules use (TimerHeap, the emulated ring's timers).

import Testing
import URingExecutor

@Suite("BinaryHeap pops its elements smallest first")
struct BinaryHeapPopsInOrder {
    @Test("10,000 seeded random inserts, interleaved with pops, come out sorted")
    func randomInsertsComeOutSorted() {
        var generator = SplitMix64(seed: 0x5EED)
        var heap = BinaryHeap<Int>()
        var reference: [Int] = []
        var popped: [Int] = []
        for round in 0..<10_000 {
            let value = Int.random(in: -1_000...1_000, using: &generator)
            heap.insert(value)
            reference.append(value)
            if round % 3 == 0, let smallest = heap.popMin() {
                #expect(smallest == reference.min())
                reference.remove(at: reference.firstIndex(of: smallest)!)
                popped.append(smallest)
            }
        }
        #expect(heap.count == reference.count)
        var rest: [Int] = []
        while let value = heap.popMin() { rest.append(value) }
        #expect(rest == reference.sorted())
        #expect(heap.isEmpty && heap.min == nil && heap.popMin() == nil)
    }

    @Test("popMin(if:) takes only what is due and leaves the rest")
    func conditionalPop() {
        var heap = BinaryHeap<Int>()
        for value in [30, 10, 20, 40] { heap.insert(value) }
        var due: [Int] = []
        while let value = heap.popMin(if: { $0 <= 25 }) { due.append(value) }
        #expect(due == [10, 20])
        #expect(heap.min == 30 && heap.count == 2)
    }
}
