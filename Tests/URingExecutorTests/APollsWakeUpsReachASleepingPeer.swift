// Jobs a worker's own parker wakes during a poll (a batch of CQEs) go to the back of its
// queue without a wake-up check each; the poll then checks once. When more than the next
// job waits, a sleeping peer is woken (and a stuck-work watcher asked for), so a job that
// spins cannot strand the rest of the batch.

import Synchronization
import Testing

@testable import URingExecutor

@Suite("A poll's wake-ups reach a sleeping peer")
struct APollsWakeUpsReachASleepingPeer {
    @Test("two tasks resumed by one poll after a job, each spinning until the other runs: a woken peer runs one")
    func batchSpreadsToASleepingPeer() async throws {
        let batch = Batch()
        let executor = try URingExecutor(workers: 2, stallThreshold: nil) { _ in BatchParker(batch) }
        defer { executor.shutdown() }
        let results = try await withWatchdog(seconds: 60, on: executor) { () -> [Bool] in
            // Driven from outside the executor: a spawn on a worker would ask for a
            // stuck-work watcher, which rescues a stranded task by itself (later).
            await Task(executorPreference: globalConcurrentExecutor) { await Self.drive(executor, batch) }.value
        }
        #expect(results == [true, true], "the second task waited behind the spinning first; \(executor.debugState)")
    }

    static func drive(_ executor: URingExecutor, _ batch: Batch) async -> [Bool] {
        let arrived = Counter()
        let tasks = (0..<2).map { _ in
            Task(executorPreference: executor) { () -> Bool in
                await withUnsafeContinuation { batch.hold($0) }
                // Resumed by a worker's poll: wait for the other task, which only the
                // other worker can run while this one spins.
                arrived.add()
                let deadline = ContinuousClock.now + .seconds(10)
                while arrived.value < 2 {
                    if ContinuousClock.now > deadline { return false }
                }
                return true
            }
        }
        while batch.held < 2 { try? await Task.sleep(for: .milliseconds(1)) }
        // One job wakes one worker, which (the last searcher to find work) wakes the
        // other; that one finds nothing during the job's 50 ms and parks. When the job
        // returns, its worker is not searching, polls, and gets both tasks at once:
        // only the poll's own check can wake the sleeper.
        await Task(executorPreference: executor) {
            let end = ContinuousClock.now + .milliseconds(50)
            while ContinuousClock.now < end {}
            batch.deliverAtNextPoll()
        }.value
        var results: [Bool] = []
        for task in tasks { results.append(await task.value) }
        return results
    }

    /// The continuations tasks left, which the first poll after `deliverAtNextPoll()`
    /// resumes all at once (how a ring hands a worker a batch of CQEs).
    final class Batch: Sendable {
        private let state = Mutex<(held: [UnsafeContinuation<Void, Never>], delivering: Bool)>(([], false))

        func hold(_ continuation: UnsafeContinuation<Void, Never>) {
            state.withLock { $0.held.append(continuation) }
        }

        var held: Int { state.withLock { $0.held.count } }

        func deliverAtNextPoll() { state.withLock { $0.delivering = true } }

        func take() -> [UnsafeContinuation<Void, Never>] {
            state.withLock { state in
                guard state.delivering else { return [] }
                defer { state.held = [] }
                return state.held
            }
        }
    }

    /// A ConditionParker whose poll resumes what `batch` delivers.
    final class BatchParker: Parker, Sendable {
        private let base = ConditionParker()
        private let batch: Batch

        init(_ batch: Batch) { self.batch = batch }

        func poll() {
            for continuation in batch.take() { continuation.resume() }
        }

        func park(deadline: ContinuousClock.Instant?) { base.park(deadline: deadline) }
        func unpark() { base.unpark() }
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        func add() { count.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        var value: Int { count.load(ordering: .sequentiallyConsistent) }
    }
}
