// uring-bench: runs file-read workloads on several engines over the same file, in
// alternating rounds so that drift on a shared machine hits every engine alike, and
// prints each engine's figures with its ratio to the first engine listed.

import ArgumentParser
import Glibc
import SystemPackage

@main
struct UringBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uring-bench",
        abstract: "Compare file-read engines side by side on one file.")

    @Option(help: "Access pattern: \(AccessPattern.allCases.map(\.rawValue).joined(separator: ", ")).")
    var rw: String = "randread"

    @Option(help: "Block size (e.g. 4k, 128k).")
    var bs: String = "4k"

    @Option(help: "Reads kept in flight by each engine that can overlap them.")
    var iodepth: Int = 32

    @Option(help: "Size of the test file (e.g. 1g).")
    var size: String = "1g"

    @Option(help: "Seconds per engine, split over the rounds.")
    var runtime: Double = 5

    @Option(help: "Rounds: engines alternate this many times.")
    var rounds: Int = 2

    @Option(help: "Test file; created and filled when missing or too small.")
    var file: String = "/tmp/swift-uring-bench.dat"

    @Option(help: "Worker threads (and rings) of the swift-uring engine.")
    var workers: Int = 1

    @Flag(help: "Set the swift-uring engine's rings up with IORING_SETUP_DEFER_TASKRUN.")
    var deferTaskrun = false

    @Option(help: "Comma-separated engines: \(allEngines.map(\.name).joined(separator: ",")).")
    var engines: String = allEngines.map(\.name).joined(separator: ",")

    mutating func validate() throws {
        guard AccessPattern(rawValue: rw) != nil else { throw ValidationError("--rw must be one of \(AccessPattern.allCases.map(\.rawValue))") }
        guard let block = parseSize(bs), block >= 512, block <= 64 << 20 else { throw ValidationError("--bs must be a size from 512 to 64m") }
        guard let total = parseSize(size), total >= block else { throw ValidationError("--size must be a size of at least one block") }
        guard (1...4096).contains(iodepth) else { throw ValidationError("--iodepth must be 1...4096") }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be 1...256") }
        guard runtime > 0, rounds >= 1 else { throw ValidationError("--runtime must be > 0 and --rounds >= 1") }
        let known = Set(allEngines.map(\.name))
        for name in engineNames where !known.contains(name) {
            throw ValidationError("unknown engine '\(name)'; known: \(known.sorted().joined(separator: ", "))")
        }
    }

    var engineNames: [String] { engines.split(separator: ",").map { String($0).trimmingWhitespace() } }

    func run() throws {
        let workload = Workload(
            pattern: AccessPattern(rawValue: rw)!, blockSize: Int(parseSize(bs)!), ioDepth: iodepth,
            fileSize: parseSize(size)!, runtime: .milliseconds(Int64(runtime * 1000 / Double(rounds))),
            path: FilePath(file))
        let selected = engineNames.compactMap { name -> (any Engine)? in
            if name == "swift-uring" { return SwiftURingEngine(workers: workers, deferTaskRun: deferTaskrun) }
            return allEngines.first { $0.name == name }
        }
        try BenchmarkFile.prepare(workload.path, size: workload.fileSize) { print("uring-bench: \($0)") }
        print("uring-bench: \(workload) rounds=\(rounds)")

        var results: [String: [RunResult]] = [:]
        for round in 1...rounds {
            for engine in selected {
                print("uring-bench: round \(round)/\(rounds) \(engine.name) ...", terminator: "")
                fflush(nil)
                let result = try engine.run(workload)
                print(" \(Int(result.iops)) IOPS")
                results[engine.name, default: []].append(result)
            }
        }
        let totals = selected.compactMap { RunResult.combine(results[$0.name] ?? []) }
        print(ResultTable.render(totals, workload: workload))
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
