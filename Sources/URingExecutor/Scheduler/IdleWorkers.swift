// Which workers sleep, and how many search for work (the tokio `Idle` protocol).
//
// One atomic word packs two counts: `searching` (high half) and `unparked` (low half).
// The list of parked workers sits behind a lock; every change to `unparked` happens
// under that lock, so `workerCount - unparked == sleepers.count`.
// Rules:
// - At most half the workers search at once (a soft limit: the check races, harmlessly).
// - Whoever makes work visible calls `workerToNotify()`; it wakes one sleeper only if
//   nobody searches and somebody sleeps. The woken worker starts out searching.
// - A searcher that finds work and was the last searcher wakes another sleeper, so work
//   keeps spreading; the last searcher to park re-checks every queue first.

import Synchronization

final class IdleWorkers: Sendable {
    let workerCount: Int
    private let state: Atomic<UInt64>
    private let sleepers: ThreadLock<[Int]>

    private static let oneSearching: UInt64 = 1 << 32
    private static let oneUnparked: UInt64 = 1

    init(workerCount: Int) {
        self.workerCount = workerCount
        state = Atomic(UInt64(workerCount))
        sleepers = ThreadLock([])
        sleepers.withLock { $0.reserveCapacity(workerCount) }
    }

    private static func searching(_ word: UInt64) -> Int { Int(word >> 32) }
    private static func unparked(_ word: UInt64) -> Int { Int(word & 0xFFFF_FFFF) }

    var searchingCount: Int { Self.searching(state.load(ordering: .sequentiallyConsistent)) }
    var unparkedCount: Int { Self.unparked(state.load(ordering: .sequentiallyConsistent)) }

    private func shouldWakeSomeone() -> Bool {
        // The fence orders the caller's earlier queue store before this read (store-load),
        // which the lost-wakeup argument needs; the load then stays a cache hit while the
        // word does not change, unlike an RMW that would bounce the line between workers.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        let word = state.load(ordering: .sequentiallyConsistent)
        return Self.searching(word) == 0 && Self.unparked(word) < workerCount
    }

    /// The index of a sleeping worker the caller must unpark, if work just appeared and
    /// nobody is looking for it. The returned worker is already counted as searching.
    func workerToNotify() -> Int? {
        guard shouldWakeSomeone() else { return nil }
        return sleepers.withLock { sleepers in
            guard shouldWakeSomeone(), let index = sleepers.popLast() else { return nil }
            state.wrappingAdd(Self.oneSearching + Self.oneUnparked, ordering: .sequentiallyConsistent)
            return index
        }
    }

    /// Whether any worker sleeps (a plain load: for a cheap first check).
    var hasSleepers: Bool { Self.unparked(state.load(ordering: .relaxed)) < workerCount }

    /// A sleeping worker to wake as the stuck-work watcher, whether or not someone
    /// searches; counted as searching, like one `workerToNotify` returns.
    func workerToWatch() -> Int? {
        sleepers.withLock { sleepers in
            guard let index = sleepers.popLast() else { return nil }
            state.wrappingAdd(Self.oneSearching + Self.oneUnparked, ordering: .sequentiallyConsistent)
            return index
        }
    }

    /// Tries to become a searcher; false when half the workers already search.
    func transitionToSearching() -> Bool {
        let word = state.load(ordering: .sequentiallyConsistent)
        if 2 * Self.searching(word) >= workerCount { return false }
        state.wrappingAdd(Self.oneSearching, ordering: .sequentiallyConsistent)
        return true
    }

    /// A searcher found work; returns true if it was the last searcher.
    func transitionFromSearching() -> Bool {
        let previous = state.wrappingSubtract(Self.oneSearching, ordering: .sequentiallyConsistent).oldValue
        return Self.searching(previous) == 1
    }

    /// Registers `index` as asleep; returns true if it was the last searcher.
    func transitionToParked(_ index: Int, isSearching: Bool) -> Bool {
        sleepers.withLock { sleepers in
            let decrement = Self.oneUnparked + (isSearching ? Self.oneSearching : 0)
            let previous = state.wrappingSubtract(decrement, ordering: .sequentiallyConsistent).oldValue
            sleepers.append(index)
            return isSearching && Self.searching(previous) == 1
        }
    }

    /// A parked worker woke up with work of its own; returns false if a notifier already
    /// took it off the list (and so counted it as searching).
    func unparkWorker(_ index: Int) -> Bool {
        sleepers.withLock { sleepers in
            guard let position = sleepers.firstIndex(of: index) else { return false }
            sleepers.swapAt(position, sleepers.count - 1)
            sleepers.removeLast()
            state.wrappingAdd(Self.oneUnparked, ordering: .sequentiallyConsistent)
            return true
        }
    }

    func isParked(_ index: Int) -> Bool {
        sleepers.withLock { $0.contains(index) }
    }
}
