// Behaviours Swift's default executor gives that an executor replacing it must give too:
// task groups, async let, actors, continuations resumed from other threads, Task.sleep
// ordering, cancellation propagation, yields. Each check returns a named pass/fail with
// what it saw; the tests and the DefaultExecutorConformance executable run them all.

import Dispatch
import Synchronization
import URingExecutor

public struct ConformanceResult: Sendable, CustomStringConvertible {
    public let name: String
    public let passed: Bool
    public let detail: String

    public var description: String { "\(passed ? "PASS" : "FAIL") \(name): \(detail)" }
}

public enum Conformance {
    /// Runs every check in the calling task (which runs on the executor under test).
    public static func runAll() async -> [ConformanceResult] {
        [
            await taskGroupCollectsEveryChild(),
            await asyncLetChildrenRunConcurrently(),
            await actorsSerialiseAndHop(),
            await continuationResumedFromAnotherThread(),
            await sleepsEndInDeadlineOrder(),
            await cancellationReachesChildren(),
            await yieldingTasksBothFinish(),
        ]
    }

    static func taskGroupCollectsEveryChild() async -> ConformanceResult {
        let sum = await withTaskGroup(of: Int.self) { group in
            for value in 1...100 { group.addTask { value } }
            return await group.reduce(0, +)
        }
        return ConformanceResult(name: "task group collects every child", passed: sum == 5_050, detail: "sum \(sum)")
    }

    static func asyncLetChildrenRunConcurrently() async -> ConformanceResult {
        // Each child waits for the other's signal: they finish only if both run.
        let meeting = Meeting()
        async let first: Void = meeting.arrive(0)
        async let second: Void = meeting.arrive(1)
        _ = await (first, second)
        return ConformanceResult(name: "async let children run concurrently", passed: true, detail: "both met")
    }

    static func actorsSerialiseAndHop() async -> ConformanceResult {
        let tally = Tally()
        let relay = Relay(tally: tally)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask { for _ in 0..<100 { await relay.forward() } }
            }
        }
        let count = await tally.count
        return ConformanceResult(name: "actors serialise and hop", passed: count == 1_000, detail: "count \(count)")
    }

    static func continuationResumedFromAnotherThread() async -> ConformanceResult {
        let value = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: 42) }
        }
        return ConformanceResult(name: "continuation resumed from another thread", passed: value == 42, detail: "got \(value)")
    }

    static func sleepsEndInDeadlineOrder() async -> ConformanceResult {
        // Deadlines from one base, 1 s apart: a slow start or a thread the OS leaves off
        // the CPU for a while (sanitizers on 2 busy cores) cannot reorder them, and none
        // may end early. (At 200 ms apart, CI's ThreadSanitizer run once saw the 400 ms
        // sleeper end after the 600 ms one.) The detail gives each sleeper's lateness.
        // When the whole process was stopped across the deadlines (a plain thread outside
        // the executor saw a gap of 1 s or more: SIGSTOP, a debugger, a sanitizer's
        // runtime), the sleepers were all due at once and any order is right; the check
        // then asks only that none ended early.
        let witness = ProcessPauseWitness()
        let base = ContinuousClock.now
        let (order, early, lateness) = await withTaskGroup(of: (Int, Bool, Duration).self) { group in
            for seconds in [3, 1, 2] {
                group.addTask {
                    let deadline = base + .seconds(seconds)
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    let now = ContinuousClock.now
                    return (seconds, now < deadline, now - deadline)
                }
            }
            var order: [Int] = []
            var early: [Int] = []
            var lateness: [String] = []
            for await (finished, wasEarly, late) in group {
                order.append(finished)
                if wasEarly { early.append(finished) }
                lateness.append("\(finished) s: \(late) late")
            }
            return (order, early, lateness)
        }
        let processPause = witness.stop()
        let orderMatters = processPause < .seconds(1)
        return ConformanceResult(
            name: "sleeps end in deadline order, none early", passed: (order == [1, 2, 3] || !orderMatters) && early.isEmpty,
            detail: "order \(order), early \(early), \(lateness.joined(separator: ", ")); longest process pause \(processPause)"
                + (orderMatters ? "" : " (the process was stopped across the deadlines: order not checked)"))
    }

    static func cancellationReachesChildren() async -> ConformanceResult {
        let parent = Task {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        try await Task.sleep(for: .seconds(60))
                        return false
                    } catch {
                        return error is CancellationError
                    }
                }
                return await group.next() ?? false
            }
        }
        parent.cancel()
        let sawCancellation = await parent.value
        return ConformanceResult(
            name: "cancellation reaches children", passed: sawCancellation, detail: "child saw CancellationError: \(sawCancellation)")
    }

    static func yieldingTasksBothFinish() async -> ConformanceResult {
        let steps = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var done = 0
                    for _ in 0..<1_000 {
                        await Task.yield()
                        done += 1
                    }
                    return done
                }
            }
            return await group.reduce(0, +)
        }
        return ConformanceResult(name: "yielding tasks both finish", passed: steps == 2_000, detail: "steps \(steps)")
    }
}

/// Two parties that each wait until both have arrived.
final class Meeting: Sendable {
    private let waiting = ThreadLock<[CheckedContinuation<Void, Never>]>([])

    func arrive(_ party: Int) async {
        await withCheckedContinuation { continuation in
            let ready = waiting.withLock { waiting -> [CheckedContinuation<Void, Never>] in
                waiting.append(continuation)
                guard waiting.count == 2 else { return [] }
                defer { waiting = [] }
                return waiting
            }
            for waiter in ready { waiter.resume() }
        }
    }
}

actor Tally {
    private(set) var count = 0
    func add() { count += 1 }
}

actor Relay {
    let tally: Tally
    init(tally: Tally) { self.tally = tally }
    func forward() async { await tally.add() }
}
