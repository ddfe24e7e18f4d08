// An engine performs a workload's reads or writes one way and reports what it measured.
// Engines run one at a time, on the thread that calls `run`.

protocol Engine: Sendable {
    var name: String { get }
    /// Why this engine cannot run `workload` on this machine, or nil if it can.
    func unavailableReason(_ workload: Workload) -> String?
    func run(_ workload: Workload, progress: Progress) throws -> RunResult
}

extension Engine {
    func unavailableReason(_ workload: Workload) -> String? { nil }
}

/// Every engine, by the name `--engines` takes, in the order the table lists them.
let allEngines: [any Engine] = [
    SwiftURingEngine(), SwiftURingRunEngine(), RingEngine(), RawEngine(), PreadPoolEngine(), NIOEngine(), FioEngine(),
]
