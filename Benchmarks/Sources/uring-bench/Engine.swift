// An engine performs a workload's reads one way and reports what it measured.

protocol Engine: Sendable {
    var name: String { get }
    func run(_ workload: Workload) throws -> RunResult
}

/// Every engine this build knows, by the name `--engines` takes.
let allEngines: [any Engine] = [SwiftURingEngine(workers: 1), RingEngine(), PreadEngine(), FioEngine()]
