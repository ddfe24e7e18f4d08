// Counters of every worker's driver, read on each driver's own thread (the only place
// its counters may be read) and gathered for the caller.

import Dispatch
import URingExecutor

extension URingRuntime {
    /// Each worker's driver counters, in worker order; empty once the runtime shut down
    /// (a driver that already stopped contributes nothing) and in a fork() child.
    public func statistics() async -> [DriverStatistics] {
        // In a fork() child no driver thread exists to answer.
        if executor.isForkedAway { return [] }
        let request = StatisticsRequest(expected: drivers.count)
        for driver in drivers {
            driver.post(.statistics(request))
        }
        return await request.result()
    }
}

/// Collects one answer from each driver, then resumes the waiting caller.
final class StatisticsRequest: Sendable {
    private struct State {
        var answers: [DriverStatistics?] = []
        var waiter: CheckedContinuation<[DriverStatistics], Never>?
    }

    private let expected: Int
    private let state = ThreadLock(State())

    init(expected: Int) { self.expected = expected }

    /// One driver's counters, or nil from a driver that no longer runs.
    func deliver(_ statistics: DriverStatistics?) {
        let finished: (CheckedContinuation<[DriverStatistics], Never>, [DriverStatistics])? = state.withLock { state in
            state.answers.append(statistics)
            guard state.answers.count == expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, Self.ordered(state.answers))
        }
        if let (waiter, answers) = finished { waiter.resume(returning: answers) }
    }

    func result() async -> [DriverStatistics] {
        await withCheckedContinuation { continuation in
            let ready: [DriverStatistics]? = state.withLock { state in
                guard state.answers.count == expected else {
                    state.waiter = continuation
                    return nil
                }
                return Self.ordered(state.answers)
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func ordered(_ answers: [DriverStatistics?]) -> [DriverStatistics] {
        answers.compactMap { $0 }.sorted { $0.worker < $1.worker }
    }
}
