// An engine performs a workload's reads or writes one way and reports what it measured.
// Engines run one at a time, on the thread that calls `run`.
//
// `--engines` names engines or variants: `name+option+option`, e.g. `raw+defer-taskrun`,
// `raw+fixed-files+fixed-buffers`, `swift-uring+workers=2`, `fio+registerfiles+fixedbufs`;
// the whole spec is the variant's name in tables, JSON and charts.

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
let engineNames = ["swift-uring", "swift-uring-run", "ring", "raw", "pread-pool", "nio", "fio"]

/// The engine (or variant) `spec` names.
/// - Throws: `SpecError` for an unknown engine, or options the engine does not take.
func makeEngine(_ spec: String, deferTaskRunForRun: Bool) throws(SpecError) -> any Engine {
    let parts = spec.split(separator: "+").map(String.init)
    guard let base = parts.first, engineNames.contains(base) else {
        throw SpecError("unknown engine '\(spec)'; known: \(engineNames.joined(separator: ", ")) (variants: name+option)")
    }
    let options = Array(parts.dropFirst())
    switch base {
    case "swift-uring": return try SwiftURingEngine(name: spec, options: options)
    case "raw": return try RawEngine(name: spec, options: options)
    case "fio": return FioEngine(name: spec, options: options)
    default: break
    }
    guard options.isEmpty else { throw SpecError("engine '\(base)' takes no options (in '\(spec)')") }
    switch base {
    case "swift-uring-run": return SwiftURingRunEngine(deferTaskRun: deferTaskRunForRun)
    case "ring": return RingEngine()
    case "pread-pool": return PreadPoolEngine()
    default: return NIOEngine()
    }
}
