// executor-bench: tokio's runtime benchmarks (Sources/ExecutorWorkloads) on swift-uring,
// Swift's default executor and tokio, one table per run.
//
// A process has one default executor, so every engine runs in processes of its own, one
// per workload and round (warm-up run, then the measured run); rounds alternate the
// order of the engines so that drift on a shared machine hits all alike.
//
//   uring       executor-bench-default: URingRuntime as the process default executor
//               (URingRuntimeFactory, SWIFT_URING_WORKERS=--workers), plain Task {}
//   uring-pref  the same process and runtime, tasks with a task-executor preference for it
//   executor    executor-bench-swift: a standalone URingExecutor(workers: 2) with a
//               preference (no io_uring), in a process whose default is Swift's
//   swift       executor-bench-swift: plain Task {} on Swift's default executor
//   tokio       Benchmarks/tokio-peer: tokio multi-thread runtime, --workers workers
//
// Figures are the median ns per operation over rounds; uring/tokio and uring/swift are
// ratios of medians (below 1: swift-uring is faster); pref/uring is the preference's cost
// on the same runtime. Benchmarks/scripts/executor-bench builds everything and runs this.

#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: executor-bench [--rounds N] [--long] [--only WORKLOAD] [--engines LIST] \
    [--workers N] [--tokio PATH] [--verbose]
      --rounds N      measured rounds per engine and workload (default 5)
      --long          tokio's sizes (spawn 100,000, yield_many 1,000 x 1,000, ...)
      --engines LIST  comma-separated subset of uring,uring-pref,executor,swift,tokio
      --workers N     swift-uring's and tokio's workers (default 2)
      --tokio PATH    the tokio peer (default: .build/tokio-peer/release/tokio-peer)
      --verbose       print every round's figure
    """

let allEngines = ["uring", "uring-pref", "executor", "swift", "tokio"]
let workloadNames = ["spawn_many_local", "spawn_many_remote", "yield_many", "ping_pong", "chained_spawn"]
let units = ["task", "task", "yield", "round trip", "spawn"]

var rounds = 5
var long = false
var only: String?
var engines = allEngines
var workers = 2
var tokioPath: String?
var verbose = false
var arguments = CommandLine.arguments.dropFirst()
func fail(_ message: String) -> Never {
    print(message)
    exit(2)
}
while let argument = arguments.popFirst() {
    switch argument {
    case "--rounds":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else { fail("--rounds needs a positive number") }
        rounds = value
    case "--long": long = true
    case "--only":
        guard let name = arguments.popFirst(), workloadNames.contains(name) else { fail(usage) }
        only = name
    case "--engines":
        engines = (arguments.popFirst() ?? "").split(separator: ",").map(String.init)
        guard !engines.isEmpty, engines.allSatisfy(allEngines.contains) else { fail(usage) }
    case "--workers":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else { fail("--workers needs a positive number") }
        workers = value
    case "--tokio": tokioPath = arguments.popFirst()
    case "--verbose": verbose = true
    default: fail(usage)
    }
}

/// This executable's directory: the engine processes are built next to it.
func executableDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { fail("cannot read /proc/self/exe") }
    let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
}

let directory = executableDirectory()
// .build/<triple>/release/executor-bench -> .build/tokio-peer/release/tokio-peer
let tokio = tokioPath ?? directory + "/../../tokio-peer/release/tokio-peer"
if engines.contains("tokio") && access(tokio, X_OK) != 0 {
    print("tokio: no peer at \(tokio) (Benchmarks/scripts/executor-bench builds it); skipped")
    engines.removeAll { $0 == "tokio" }
}
for (engine, binary) in [("uring", "executor-bench-default"), ("swift", "executor-bench-swift")]
    where engines.contains(engine) && access(directory + "/" + binary, X_OK) != 0 {
    fail("\(directory)/\(binary) is missing: swift build -c release (in Benchmarks/)")
}
setenv("SWIFT_URING_WORKERS", "\(workers)", 1)
// The engine processes' stderr (the runtime's stall reports on a busy machine) goes to a
// file, so that it does not bury the table.
let stderrLog = "/tmp/executor-bench-\(getpid()).stderr"

@MainActor func command(_ engine: String, _ workload: String) -> String {
    let size = long ? " --long" : ""
    switch engine {
    case "uring", "uring-pref":
        return "'\(directory)/executor-bench-default' --only \(workload) --engine \(engine)\(size)"
    case "executor", "swift":
        return "'\(directory)/executor-bench-swift' --only \(workload) --engine \(engine)\(size)"
    default:
        return "'\(tokio)' --only \(workload) --workers \(workers)\(size)"
    }
}

/// Runs one engine process and returns its figure (ns per operation).
@MainActor func run(_ command: String) -> Double {
    guard let pipe = popen(command + " 2>>'\(stderrLog)'", "r") else { fail("cannot start \(command)") }
    var output = ""
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), pipe) != nil {
        output += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    let status = pclose(pipe)
    guard status == 0, let value = output.split(separator: "\n").last.flatMap({ Double($0) }) else {
        fail("\(command) failed (status \(status)): \(output); its stderr is in \(stderrLog)")
    }
    return value
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func format(_ value: Double, digits: Int = 0) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return digits == 0 ? "\(Int(rounded))" : "\(rounded)"
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

var load = [Double](repeating: 0, count: 3)
_ = getloadavg(&load, 3)
print("executor-bench: \(long ? "tokio's (--long)" : "reduced") sizes, \(rounds) rounds, \(workers) workers, "
      + "engines alternate, one process per engine, workload and round; median ns per op; "
      + "load average \(format(load[0], digits: 2)) before")
var rows: [[String]] = []
for (index, workload) in workloadNames.enumerated() where only == nil || only == workload {
    var figures: [String: [Double]] = [:]
    for round in 0..<rounds {
        // Rotate the order each round: every engine runs first, last and in between.
        let shift = round % engines.count
        for engine in engines[shift...] + engines[..<shift] {
            figures[engine, default: []].append(run(command(engine, workload)))
        }
    }
    if verbose {
        for engine in engines {
            print("  \(workload) \(engine): \(figures[engine, default: []].map { format($0, digits: 1) }.joined(separator: " "))")
        }
    }
    let medians = Dictionary(uniqueKeysWithValues: allEngines.map { ($0, median(figures[$0] ?? [])) })
    rows.append([workload, units[index]] + allEngines.map { format(medians[$0]!) } + [
        format(medians["uring"]! / medians["tokio"]!, digits: 2),
        format(medians["uring"]! / medians["swift"]!, digits: 2),
        format(medians["uring-pref"]! / medians["uring"]!, digits: 2),
    ])
}
let header = ["workload", "unit"] + allEngines + ["uring/tokio", "uring/swift", "pref/uring"]
let widths = [18, 11] + allEngines.map { _ in 11 } + [12, 12, 11]
for row in [header] + rows {
    print(zip(row, widths).enumerated().map { $0.offset < 2 ? $0.element.0.rightPadded($0.element.1) : $0.element.0.leftPadded($0.element.1) }.joined())
}
_ = getloadavg(&load, 3)
print("load average \(format(load[0], digits: 2)) after; engine processes' stderr: \(stderrLog)")
