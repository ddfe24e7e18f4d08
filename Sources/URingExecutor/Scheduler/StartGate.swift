// The start-up handshake between `URingExecutor.init` and its worker threads.
//
// Each worker reports once (its parker exists, or the error makeParker threw), then
// waits for the decision. `init` waits for all reports, then decides: go (run the
// loop) or stop (return without running anything). The mutex orders every worker's
// `install(parker)` before any other thread can reach that worker.

final class StartGate: Sendable {
    private struct State {
        var reports = 0
        var errors: [(index: Int, error: any Error)] = []
        var decision: Bool?
    }

    private let workerCount: Int
    private let state = ConditionLock(State())

    init(workerCount: Int) { self.workerCount = workerCount }

    func report(_ index: Int, error: (any Error)?) {
        state.withLockBroadcasting { state in
            state.reports += 1
            if let error { state.errors.append((index, error)) }
        }
    }

    /// Waits for every worker's report; returns the error of the lowest failing index, if any.
    func waitForReports() -> (any Error)? {
        state.wait { state -> (any Error)?? in
            guard state.reports == workerCount else { return nil }
            return .some(state.errors.min { $0.index < $1.index }?.error)
        }
    }

    func decide(go: Bool) {
        state.withLockBroadcasting { $0.decision = go }
    }

    func waitForDecision() -> Bool {
        state.wait { $0.decision }
    }
}
