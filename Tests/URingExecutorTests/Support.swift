// Helpers shared by the executor tests: a spinning barrier and a latch (the seeded
// generator, SplitMix64, is URingExecutor's own).

import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import URingExecutor

/// Lets `parties` threads meet repeatedly; each `arrive()` returns once all have arrived.
final class SpinBarrier: Sendable {
    private let parties: Int
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)

    init(parties: Int) { self.parties = parties }

    func arrive() {
        let current = generation.load(ordering: .acquiring)
        if arrived.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == parties {
            arrived.store(0, ordering: .relaxed)
            generation.store(current + 1, ordering: .releasing)
        } else {
            while generation.load(ordering: .acquiring) == current { sched_yield() }
        }
    }
}

/// A one-shot flag a thread can block on with a timeout.
final class Latch: Sendable {
    private let isOpen = Atomic<Bool>(false)

    init() {}

    func open() { isOpen.store(true, ordering: .releasing) }

    var isOpened: Bool { isOpen.load(ordering: .acquiring) }

    /// Waits until opened or `seconds` pass; returns whether it opened.
    func wait(seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !isOpened {
            if ContinuousClock.now > deadline { return false }
            usleep(200)
        }
        return true
    }
}

/// A lock-protected value that escaping closures can share (a pthread lock, which
/// ThreadSanitizer understands).
final class Locked<Value: Sendable>: Sendable {
    private let lock: ThreadLock<Value>
    init(_ value: Value) { lock = ThreadLock(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&$0) } }
    var value: Value { lock.withLock { $0 } }
}

/// An atomic counter in a class, so escaping closures can share it.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    init() {}
    func increment(by amount: Int = 1) { atomic.wrappingAdd(amount, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .acquiring) }
}
