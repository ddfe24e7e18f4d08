// Where swift-uring's reports go (a stalled worker, the fallback warning, a listener's
// accept errors): the logger the application gave (in a configuration, or later with
// `useLogger`), or, until it gives one, a `Logger(label:)` made for each report as it is
// logged. Nothing is made at init: an executor or runtime created before `main` (the
// process default) still logs through the handler `main` installs with
// `LoggingSystem.bootstrap`.
//
// Holding: a component created before `main` may hold its reports back (`holdsReports`):
// they wait until the application hands a logger over (`use`) or `releaseHeldReports()`
// is called, then go out in order. Reports are rare, so each takes one lock; nothing here
// is on a per-job or per-operation path.

import Logging

/// The destination of a component's reports; safe to use from any thread.
package final class ReportLogger: Sendable {
    /// The label of the logger made per report when the application gave none.
    package let label: String
    private struct State {
        var given: Logger?
        var holding: Bool
        var held: [Report] = []

        /// Stops holding and hands over what was held.
        mutating func takeHeld() -> [Report] {
            holding = false
            defer { held = [] }
            return held
        }
    }

    private struct Report {
        let level: Logger.Level
        let message: Logger.Message
        let metadata: Logger.Metadata?
    }

    private let state: ThreadLock<State>

    /// `logger`: the application's logger, or nil to make one per report. `holdsReports`:
    /// keep reports until `use(_:)` or `releaseHeldReports()`.
    package init(_ logger: Logger?, label: String, holdsReports: Bool = false) {
        self.label = label
        state = ThreadLock(State(given: logger, holding: holdsReports))
    }

    /// The logger a report made now would go to.
    package var current: Logger {
        state.withLock { $0.given } ?? Logger(label: label)
    }

    /// Whether reports are being held back (see the top of this file).
    package var isHoldingReports: Bool { state.withLock { $0.holding } }

    /// Logs one report, or keeps it while reports are held.
    package func log(_ level: Logger.Level, _ message: Logger.Message, metadata: Logger.Metadata? = nil) {
        let given: Logger?? = state.withLock { state in
            if state.holding {
                state.held.append(Report(level: level, message: message, metadata: metadata))
                return .none
            }
            return .some(state.given)
        }
        guard case .some(let logger) = given else { return }
        (logger ?? Logger(label: label)).log(level: level, message, metadata: metadata)
    }

    /// Sends later reports to `logger`; reports held back so far go to it now.
    package func use(_ logger: Logger) {
        let held = state.withLock { state in
            state.given = logger
            return state.takeHeld()
        }
        deliver(held, to: logger)
    }

    /// Stops holding reports: those held so far go to the logger in use (the given one, or
    /// one made now, after the application had its chance to bootstrap logging).
    package func releaseHeldReports() {
        let (held, given) = state.withLock { state in (state.takeHeld(), state.given) }
        if !held.isEmpty { deliver(held, to: given ?? Logger(label: label)) }
    }

    private func deliver(_ reports: [Report], to logger: Logger) {
        for report in reports {
            logger.log(level: report.level, report.message, metadata: report.metadata)
        }
    }
}
