// An unbounded FIFO of trivial values in a power-of-two ring that doubles when full.
// A plain value type with no locking: the InjectionQueue and the TimerHeap's owners
// guard it.

struct GrowableRing<Element: BitwiseCopyable & Sendable>: ~Copyable, @unchecked Sendable {
    // @unchecked: the ring uniquely owns its storage (it is ~Copyable), so moving it moves the elements.
    private var storage: UnsafeMutableBufferPointer<Element>
    private var head = 0
    private(set) var count = 0

    init(initialCapacity: Int = 64) {
        precondition(initialCapacity > 0 && initialCapacity.nonzeroBitCount == 1)
        storage = .allocate(capacity: initialCapacity)
    }

    deinit {
        storage.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        // Safety: index is masked into the allocation; slots are trivial values.
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    private mutating func grow() {
        let bigger = UnsafeMutableBufferPointer<Element>.allocate(capacity: storage.count * 2)
        for offset in 0..<count {
            bigger[offset] = storage[(head + offset) & (storage.count - 1)]
        }
        storage.deallocate()
        storage = bigger
        head = 0
    }
}
