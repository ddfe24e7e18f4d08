import Synchronization
import Testing

@testable import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

@Suite("Work stealing")
struct WorkStealingSpreadsWork {
    @Test("work spawned on one worker is stolen and run by the other")
    func idleWorkerSteals() async throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 256)
        defer { executor.shutdown() }
        let workersUsed = Locked<Set<Int>>([])
        // One hang watchdog for all the tasks below.
        let deadline = ContinuousClock.now + .seconds(30)
        _ = try await withWatchdog(seconds: 60, on: executor) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let index = URingExecutor.currentWorkerIndex ?? -1
                        workersUsed.withLock { _ = $0.insert(index) }
                        // Hold this worker until the other one has run a task: only stealing
                        // can get it one (all were spawned here).
                        while workersUsed.value.count < 2 && ContinuousClock.now < deadline { usleep(100) }
                    }
                }
            }
        }
        #expect(workersUsed.value == [0, 1])
        #expect(executor.metrics.stolenJobs > 0)
        #expect(executor.metrics.stolenJobs >= executor.metrics.steals)
    }

    /// `backlogTakeDeclined`: each worker's parker claims a million more completions each
    /// time the worker asks (once per look at its peers), so it never takes a peer's
    /// backlog before polling (`Worker.backlogToTake`) and only the search after the poll
    /// (`steal()`) moves work.
    @Test("an idle worker takes short tasks queued on its peer, without the stuck-work watcher",
          arguments: [false, true])
    func idleWorkerTakesShortTasks(backlogTakeDeclined: Bool) async throws {
        let executor = try URingExecutor(workers: 2, queueCapacity: 256) { _ in
            backlogTakeDeclined ? ManyCompletionsParker() as any Parker : ConditionParker()
        }
        defer { executor.shutdown() }
        let before = executor.metrics
        let workersUsed = Locked<[Int: Int]>([:])
        func balancingMoves() -> UInt64 {
            let now = executor.metrics
            let stolen = now.stolenJobs - before.stolenJobs
            let rescued = now.rescuedJobs - before.rescuedJobs
            return stolen > rescued ? stolen - rescued : 0
        }
        // Rounds until the other worker has taken some: on a loaded machine its thread may
        // not get a CPU within one round. With no peer look it never does, in any round.
        for _ in 0..<20 {
            let finished: Void? = try await withWatchdog(seconds: 60, on: executor) {
                await withTaskGroup(of: Void.self) { group in
                    // 200 tasks queued on this worker (fewer than the queue holds, so none
                    // goes to the injection queue), each returning within about 50 us: far
                    // more often than the stuck-work watcher looks (1 ms). The watcher may
                    // still take some while the spawning job runs; those count apart
                    // (`rescuedJobs`), so what is left was moved by a peer's steal or
                    // backlog take.
                    for _ in 0..<200 {
                        group.addTask {
                            let index = URingExecutor.currentWorkerIndex ?? -1
                            workersUsed.withLock { $0[index, default: 0] += 1 }
                            let end = ContinuousClock.now + .microseconds(50)
                            while ContinuousClock.now < end {}
                        }
                    }
                }
            }
            // A round the watchdog gave up on has recorded its issue; stop there.
            if finished == nil { break }
            if balancingMoves() > 0 { break }
        }
        let after = executor.metrics
        let counts = workersUsed.value
        #expect(Set(counts.keys) == [0, 1], "tasks run per worker: \(counts)")
        #expect(balancingMoves() > 0,
                "stolen \(after.stolenJobs - before.stolenJobs), rescued \(after.rescuedJobs - before.rescuedJobs)")
    }

    @Test("URingExecutor.current names the executor and the worker index, and is nil elsewhere")
    func currentWorkerIdentity() async throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        #expect(URingExecutor.current == nil)
        #expect(URingExecutor.currentWorkerIndex == nil)
        let identity = try await withWatchdog(seconds: 10, on: executor) { () -> Bool in
            guard let current = URingExecutor.current else { return false }
            return current.executor === executor && current.index == URingExecutor.currentWorkerIndex
                && (0..<2).contains(current.index) && current.parker is ConditionParker
        }
        #expect(identity == true)
    }
}

/// A condition parker that claims a million more completed operations each time it is asked.
private final class ManyCompletionsParker: Parker {
    private let parker = ConditionParker()
    private let completed = Atomic<Int>(0)

    func park(deadline: ContinuousClock.Instant?) { parker.park(deadline: deadline) }
    func poll() { parker.poll() }
    func unpark() { parker.unpark() }
    var operationsCompleted: Int { completed.add(1_000_000, ordering: .relaxed).newValue }
}
