import Synchronization
import Testing

@testable import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

@Suite("Fairness")
struct SelfRespawningTaskDoesNotStarveContinuation {
    final class Flag: Sendable {
        private let raised = Atomic<Bool>(false)
        init() {}
        func raise() { raised.store(true, ordering: .releasing) }
        var isRaised: Bool { raised.load(ordering: .acquiring) }
    }

    /// A task that spawns its successor and ends, until `stop` is raised; `onEach` runs in every one.
    static func respawnForever(
        on executor: URingExecutor, until stop: Flag, spawned: Counter,
        onEach: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        Task(executorPreference: executor) {
            spawned.increment()
            onEach(spawned.value)
            if !stop.isRaised { respawnForever(on: executor, until: stop, spawned: spawned, onEach: onEach) }
        }
    }

    /// Starts a task that waits on a continuation; returns a way to resume it and a latch that
    /// opens once it has run again.
    static func waitingTask(
        on executor: URingExecutor, onResume: @escaping @Sendable () -> Void = {}
    ) -> (resume: @Sendable () -> Bool, resumed: Latch) {
        let slot = Locked<UnsafeContinuation<Void, Never>?>(nil)
        let resumed = Latch()
        Task(executorPreference: executor) {
            await withUnsafeContinuation { continuation in slot.withLock { $0 = continuation } }
            onResume()
            resumed.open()
        }
        let resume: @Sendable () -> Bool = {
            guard let continuation = slot.withLock({ slot in defer { slot = nil }; return slot }) else { return false }
            continuation.resume()
            return true
        }
        return (resume, resumed)
    }

    @Test("a task that re-spawns itself forever does not starve a continuation resumed from another thread (one worker)")
    func continuationFromOutside() throws {
        let executor = try URingExecutor(workers: 1, queueCapacity: 4)
        defer { executor.shutdown() }
        let slot = Locked<UnsafeContinuation<Void, Never>?>(nil)
        let resumed = Latch()
        Task(executorPreference: executor) {
            await withUnsafeContinuation { continuation in slot.withLock { $0 = continuation } }
            resumed.open()
        }
        while slot.value == nil { usleep(100) }  // the waiter has suspended
        let stop = Flag()
        let spawned = Counter()
        Self.respawnForever(on: executor, until: stop, spawned: spawned)
        while spawned.value < 100 { usleep(100) }  // the spinner is spinning
        slot.value?.resume()
        #expect(resumed.wait(seconds: 10))
        stop.raise()
    }

    @Test("a task that re-spawns itself forever does not starve a continuation it resumes itself (LIFO budget)")
    func continuationFromTheSpinner() throws {
        let executor = try URingExecutor(workers: 1, queueCapacity: 4)
        defer { executor.shutdown() }
        let stop = Flag()
        let spawned = Counter()
        let ranAt = Locked<Int?>(nil)
        let (resume, resumed) = Self.waitingTask(on: executor) { ranAt.withLock { $0 = spawned.value } }
        let resumedAt = Locked<Int?>(nil)
        Self.respawnForever(on: executor, until: stop, spawned: spawned) { generation in
            if resumedAt.value == nil, resume() { resumedAt.withLock { $0 = generation } }
        }
        #expect(resumed.wait(seconds: 10))
        stop.raise()
        let woken = try #require(resumedAt.value)
        let ran = try #require(ranAt.value)
        // The woken job sits behind at most a LIFO budget's worth of fresh spawns.
        #expect(ran - woken <= SchedulerTuning.lifoBudget + 2, "woken at spawn \(woken), ran at spawn \(ran)")
    }

    @Test("a yielding task makes progress next to a task that re-spawns itself forever (one worker)")
    func yieldingTaskProgresses() throws {
        let executor = try URingExecutor(workers: 1, queueCapacity: 4)
        defer { executor.shutdown() }
        let stop = Flag()
        let spawned = Counter()
        Self.respawnForever(on: executor, until: stop, spawned: spawned)
        let done = Latch()
        Task(executorPreference: executor) {
            for _ in 0..<100 { await Task.yield() }
            done.open()
        }
        #expect(done.wait(seconds: 10))
        stop.raise()
    }
}
