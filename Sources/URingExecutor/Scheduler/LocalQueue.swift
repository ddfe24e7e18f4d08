// A worker's bounded run queue: one producer (the owning worker), many stealers.
//
// Layout (the tokio design): a power-of-two ring of `capacity` slots, a `tail` that only
// the owner writes, and a packed `head` word holding two indices, `steal` (high half)
// and `real` (low half). `real` is the next slot to pop; `steal` trails it while a
// stealer is copying slots `steal ..< real` out. Indices are UInt32 and wrap.
//
// Invariants:
// - Only the owner writes slots, and only at `tail`, and only while `tail - steal <
//   capacity`, so a slot a stealer is still copying is never overwritten.
// - Only the owner stores `tail`; it does so with release after writing the slot, and
//   stealers load it with acquire before reading slots.
// - At most one stealer at a time: a stealer claims by moving `real` forward while
//   `steal == real`, copies, then sets `steal = real` to release its claim.
// - When the queue is full, the owner moves half of it plus the new element to the
//   overflow sink (the injection queue) in one batch.

import Synchronization

/// What the owner's push did with the element.
enum LocalPushOutcome: Equatable {
    /// The element is in the local queue.
    case queued
    /// The queue was full: `count` elements (the new one included) went to the overflow.
    case overflowed(count: Int)
}

/// Where a full local queue sends its overflow (the injection queue in production).
protocol OverflowSink: AnyObject {
    associatedtype Element: BitwiseCopyable & Sendable
    func pushOverflow(_ batch: UnsafeBufferPointer<Element>)
}

final class LocalQueue<Element: BitwiseCopyable & Sendable>: @unchecked Sendable {
    // @unchecked: slots are plain memory handed between threads by the head/tail protocol above.

    private let leadingPadding = CacheLinePadding()
    let capacity: UInt32
    private let mask: UInt32
    private let head = Atomic<UInt64>(0)
    private let tail = Atomic<UInt32>(0)
    private let slots: UnsafeMutablePointer<Element>
    private let trailingPadding = CacheLinePadding()

    /// `startIndex` lets tests begin near UInt32.max so that index wraparound happens.
    init(capacity: Int, startIndex: UInt32 = 0) {
        precondition(capacity >= 2 && capacity.nonzeroBitCount == 1 && capacity <= 1 << 30,
                     "LocalQueue capacity must be a power of two in 2...2^30")
        self.capacity = UInt32(capacity)
        self.mask = UInt32(capacity - 1)
        self.slots = .allocate(capacity: capacity)
        head.store(Self.pack(steal: startIndex, real: startIndex), ordering: .relaxed)
        tail.store(startIndex, ordering: .relaxed)
    }

    deinit {
        slots.deallocate()
    }

    private static func pack(steal: UInt32, real: UInt32) -> UInt64 {
        UInt64(steal) << 32 | UInt64(real)
    }

    private static func unpack(_ word: UInt64) -> (steal: UInt32, real: UInt32) {
        (UInt32(truncatingIfNeeded: word >> 32), UInt32(truncatingIfNeeded: word))
    }

    /// Number of queued elements (exact for the owner, a hint for anyone else).
    var count: Int {
        let (_, real) = Self.unpack(head.load(ordering: .acquiring))
        let tail = tail.load(ordering: .acquiring)
        return Int(tail &- real)
    }

    var isEmpty: Bool { count == 0 }

    // MARK: Owner side

    /// Appends `element`; when full, moves half the queue plus `element` to `overflow`.
    /// Owner thread only.
    @discardableResult
    func push<Sink: OverflowSink>(_ element: Element, overflow: Sink) -> LocalPushOutcome
    where Sink.Element == Element {
        while true {
            let (steal, real) = Self.unpack(head.load(ordering: .acquiring))
            let tail = tail.load(ordering: .relaxed)
            if tail &- steal < capacity {
                // Safety: slot `tail` is outside every claimed range (`tail - steal < capacity`)
                // and only this thread writes slots.
                (slots + Int(tail & mask)).initialize(to: element)
                self.tail.store(tail &+ 1, ordering: .releasing)
                return .queued
            }
            if steal != real {
                // A stealer is copying out right now, so the queue will have room soon;
                // do not wait for it, send just this element to the overflow.
                withUnsafePointer(to: element) { overflow.pushOverflow(UnsafeBufferPointer(start: $0, count: 1)) }
                return .overflowed(count: 1)
            }
            if let moved = moveHalfToOverflow(real: real, tail: tail, plus: element, overflow: overflow) {
                return .overflowed(count: moved)
            }
            // Lost the race against a stealer: there is room now, try again.
        }
    }

    private func moveHalfToOverflow<Sink: OverflowSink>(
        real: UInt32, tail: UInt32, plus element: Element, overflow: Sink
    ) -> Int? where Sink.Element == Element {
        let half = capacity / 2
        precondition(tail &- real == capacity, "Internal inconsistency: overflow of a queue that is not full")
        let claimed = Self.pack(steal: real &+ half, real: real &+ half)
        guard head.compareExchange(expected: Self.pack(steal: real, real: real), desired: claimed,
                                   ordering: .acquiringAndReleasing).exchanged else { return nil }
        let batch = UnsafeMutableBufferPointer<Element>.allocate(capacity: Int(half) + 1)
        defer { batch.deallocate() }
        for offset in 0..<half {
            // Safety: slots real ..< real+half were just claimed by the CAS above; no stealer can
            // claim them any more and the owner is this thread.
            batch[Int(offset)] = slots[Int((real &+ offset) & mask)]
        }
        batch[Int(half)] = element
        overflow.pushOverflow(UnsafeBufferPointer(batch))
        return Int(half) + 1
    }

    /// Removes the oldest element. Owner thread only.
    func pop() -> Element? {
        var word = head.load(ordering: .acquiring)
        while true {
            let (steal, real) = Self.unpack(word)
            if real == tail.load(ordering: .relaxed) { return nil }
            let nextReal = real &+ 1
            // While a stealer holds `steal`, keep it; otherwise both halves move together.
            let next = steal == real ? Self.pack(steal: nextReal, real: nextReal) : Self.pack(steal: steal, real: nextReal)
            let (exchanged, current) = head.compareExchange(expected: word, desired: next, ordering: .acquiringAndReleasing)
            if exchanged {
                // Safety: slot `real` was claimed by the CAS; only the owner writes slots.
                return slots[Int(real & mask)]
            }
            word = current
        }
    }

    // MARK: Stealer side

    /// Moves about half of `self`'s elements, and at most `limit`, into `destination` (whose
    /// owner is the calling thread) and returns one of them to run now. Returns nil if there
    /// was nothing to take, another stealer was busy, or `destination` is more than half full.
    func steal(into destination: LocalQueue<Element>, atMost limit: Int = .max) -> (element: Element, moved: Int)? {
        precondition(destination !== self && destination.capacity == capacity && limit > 0)
        let destinationTail = destination.tail.load(ordering: .relaxed)
        let (destinationSteal, _) = Self.unpack(destination.head.load(ordering: .acquiring))
        if destinationTail &- destinationSteal > capacity / 2 { return nil }

        let taken = copyHalf(into: destination, at: destinationTail, atMost: UInt32(clamping: limit))
        if taken == 0 { return nil }
        let kept = taken - 1
        // Safety: the caller owns `destination`; slot destinationTail+kept was written by copyHalf
        // and is not yet published (tail not advanced), so nobody else can read it.
        let element = destination.slots[Int((destinationTail &+ kept) & mask)]
        if kept > 0 {
            destination.tail.store(destinationTail &+ kept, ordering: .releasing)
        }
        return (element, Int(taken))
    }

    private func copyHalf(into destination: LocalQueue<Element>, at destinationTail: UInt32, atMost limit: UInt32) -> UInt32 {
        var word = head.load(ordering: .acquiring)
        var count: UInt32 = 0
        var claimed: UInt64 = 0
        while true {
            let (steal, real) = Self.unpack(word)
            let tail = tail.load(ordering: .acquiring)
            if steal != real { return 0 }  // another stealer is copying
            let available = tail &- real
            count = min(available - available / 2, limit)
            if count == 0 { return 0 }
            claimed = Self.pack(steal: steal, real: real &+ count)
            let (exchanged, current) = head.compareExchange(expected: word, desired: claimed,
                                                            ordering: .acquiringAndReleasing)
            if exchanged { break }
            word = current
        }
        precondition(count <= capacity / 2, "Internal inconsistency: stole more than half a queue")
        let (first, _) = Self.unpack(claimed)
        for offset in 0..<count {
            // Safety: slots first ..< first+count are claimed by this stealer (the owner will not
            // overwrite them while `steal` lags `real`); destination slots past its tail are
            // unpublished and owned by the calling thread.
            (destination.slots + Int((destinationTail &+ offset) & mask))
                .initialize(to: slots[Int((first &+ offset) & mask)])
        }
        // Release the claim: steal catches up with real (real may have moved on by pops).
        word = claimed
        while true {
            let (_, real) = Self.unpack(word)
            let released = Self.pack(steal: real, real: real)
            let (exchanged, current) = head.compareExchange(expected: word, desired: released,
                                                            ordering: .acquiringAndReleasing)
            if exchanged { return count }
            let (currentSteal, currentReal) = Self.unpack(current)
            precondition(currentSteal != currentReal, "Internal inconsistency: steal claim vanished")
            word = current
        }
    }
}
