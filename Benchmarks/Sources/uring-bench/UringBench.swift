// uring-bench: a fio-style workload (pattern, block size, depth, O_DIRECT) run by several
// engines on the same file, in alternating rounds so that drift on a shared machine hits
// every engine alike. Prints one table with each engine's ratio to fio, and writes the
// figures as JSON and an SVG chart when asked.

import ArgumentParser
import Foundation
import SystemPackage
import URing

@main
struct UringBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uring-bench",
        abstract: "Compare swift-uring with raw io_uring, a pread thread pool, NIOFileSystem and fio on one file.",
        discussion: """
            Engines: swift-uring (plain tasks on the process-default URingRuntime, no executor \
            preference), swift-uring-run (tasks started by URingRuntime.run, which carry a preference), \
            ring (a bare Ring driven by one thread), raw (Benchmarks/raw/raw-uring.c: a liburing C loop \
            like fio's t/io_uring, built with cc on first use: the ceiling), pread-pool (iodepth threads doing \
            blocking pread/pwrite), nio (NIOFileSystem; its tasks run on the default URingRuntime, its \
            I/O on NIO's thread pool), fio (io_uring engine, one job, as a child process).
            """)

    @Option(help: "Access pattern: \(AccessPattern.allCases.map(\.rawValue).joined(separator: ", ")).")
    var rw: String = "randread"

    @Option(help: "Block size (e.g. 4k, 128k): a multiple of 512, at most 64m.")
    var bs: String = "4k"

    @Option(help: "Operations each engine keeps in flight (tasks, threads or SQEs), 1...1024.")
    var iodepth: Int = 32

    @Option(help: "Size of the test file (e.g. 1g); created and filled when missing or smaller.")
    var size: String = "1g"

    @Option(help: "Seconds each engine runs, split over the rounds.")
    var runtime: Double = 6

    @Option(help: "Rounds: the engines take turns this many times.")
    var rounds: Int = 2

    @Flag(help: "Open the file with O_DIRECT (bypass the page cache; --bs must be a multiple of 4k).")
    var direct = false

    @Option(help: "Worker threads (and rings) of the swift-uring engines, 1...256.")
    var workers: Int = 1

    @Flag(help: "Set swift-uring-run's rings up with IORING_SETUP_DEFER_TASKRUN.")
    var deferTaskrun = false

    @Option(help: "Test file; created when missing. Write patterns overwrite its contents.")
    var file: String = "/tmp/swift-uring-bench.dat"

    @Option(help: "Comma-separated engines: \(allEngines.map(\.name).joined(separator: ",")).")
    var engines: String = allEngines.map(\.name).joined(separator: ",")

    @Option(help: "Write every figure as JSON to this path.")
    var json: String?

    @Option(help: "Write an SVG chart (IOPS and latency per engine) to this path.")
    var svg: String?

    mutating func validate() throws {
        guard AccessPattern(rawValue: rw) != nil else {
            throw ValidationError("--rw must be one of \(AccessPattern.allCases.map(\.rawValue).joined(separator: ", ")), not '\(rw)'")
        }
        guard let block = parseSize(bs), block >= 512, block <= 64 << 20, block % 512 == 0 else {
            throw ValidationError("--bs must be a multiple of 512 from 512 to 64m (e.g. 4k), not '\(bs)'")
        }
        if direct && block % 4096 != 0 {
            throw ValidationError("--direct needs --bs to be a multiple of 4k, not '\(bs)'")
        }
        guard let total = parseSize(size) else { throw ValidationError("--size must be a size like 1g or 512m, not '\(size)'") }
        guard total >= block, total <= 1 << 40 else { throw ValidationError("--size must be from one block (--bs) to 1t") }
        guard (1...1024).contains(iodepth) else { throw ValidationError("--iodepth must be 1...1024, not \(iodepth)") }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be 1...256, not \(workers)") }
        guard runtime.isFinite, runtime >= 0.1, runtime <= 3600 else {
            throw ValidationError("--runtime must be 0.1...3600 seconds, not \(runtime)")
        }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be 1...100, not \(rounds)") }
        guard runtime / Double(rounds) >= 0.05 else { throw ValidationError("--runtime / --rounds must be at least 0.05 s") }
        let names = engineNames
        guard !names.isEmpty else { throw ValidationError("--engines must name at least one engine") }
        let known = allEngines.map(\.name)
        for name in names where !known.contains(name) {
            throw ValidationError("unknown engine '\(name)' in --engines; known: \(known.joined(separator: ", "))")
        }
        guard Set(names).count == names.count else { throw ValidationError("--engines names an engine twice") }
        for (option, path) in [("--file", Optional(file)), ("--json", json), ("--svg", svg)] {
            guard let path else { continue }
            guard !path.isEmpty else { throw ValidationError("\(option) must not be empty") }
            var isDirectory: ObjCBool = false
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(option): directory \(parent) does not exist")
            }
        }
    }

    var engineNames: [String] {
        engines.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// Async so that the compiler installs DefaultExecutorFactory (it does so for an async
    /// main only). The engines block their calling thread, so they run on a plain thread.
    func run() async throws {
        try configureDefaultRuntime()
        try await PlainThread.run { try self.benchmark() }
    }

    func benchmark() throws {
        let workload = Workload(
            pattern: AccessPattern(rawValue: rw)!, blockSize: Int(parseSize(bs)!), ioDepth: iodepth,
            fileSize: parseSize(size)!, runtime: .milliseconds(Int64(runtime * 1000 / Double(rounds))),
            path: FilePath(file), direct: direct, workers: workers)
        var selected: [any Engine] = []
        for name in engineNames {
            let engine: any Engine =
                name == "swift-uring-run"
                ? SwiftURingRunEngine(deferTaskRun: deferTaskrun) : allEngines.first { $0.name == name }!
            if let reason = engine.unavailableReason(workload) {
                print("uring-bench: skipping \(name): \(reason)")
            } else {
                selected.append(engine)
            }
        }
        try BenchmarkFile.prepare(workload.path, size: workload.fileSize) { print("uring-bench: \($0)") }
        print("uring-bench: \(workload) rounds=\(rounds) \(format(workload.runtime.seconds, decimals: 2))s per engine per round")
        print("uring-bench: this process's default executor is a URingRuntime (\(workers) worker(s)); the nio engine's tasks")
        print("             run there too, while NIOFileSystem does its file I/O on NIO's own thread pool")

        let progress = Progress()
        var results: [String: [RunResult]] = [:]
        var failed: [String] = []
        for round in 1...rounds {
            for engine in selected where !failed.contains(engine.name) {
                do {
                    let result = try progress.show("\(engine.name) round \(round)/\(rounds)", planned: workload.runtime) {
                        try engine.run(workload, progress: progress)
                    }
                    let latency = result.percentiles
                    var enters = ""
                    if let perOperation = result.entersPerOperation {
                        enters = "  \(format(perOperation, decimals: 3)) enters/op"
                    }
                    print(
                        "uring-bench: round \(round)/\(rounds) \(engine.name.padded(16))\(formatCount(result.iops).padded(8)) IOPS"
                            + "  p50 \(format(latency.p50, decimals: 1)) us  CPU \(format(result.cpuPercent, decimals: 0))%"
                            + "  \(formatCount(result.iopsPerCore)) IOPS/core\(enters)")
                    results[engine.name, default: []].append(result)
                } catch {
                    print("uring-bench: \(engine.name) failed: \(error)")
                    failed.append(engine.name)
                }
            }
        }
        let totals = selected.filter { !failed.contains($0.name) }.compactMap { RunResult.combine(results[$0.name] ?? []) }
        print(ResultTable.render(totals, workload: workload))
        if let json {
            try JSONReport(totals, workload: workload).write(to: json)
            print("uring-bench: JSON written to \(json)")
        }
        if let svg {
            try SVGChart.write(totals, workload: workload, to: svg)
            print("uring-bench: SVG chart written to \(svg)")
        }
        if !failed.isEmpty { throw ExitCode.failure }
    }

    /// The default runtime is created when the process starts (before `main`), from the
    /// environment: SWIFT_URING_WORKERS workers, and SWIFT_URING_BACKEND=io_uring so that it
    /// fails with the reason instead of silently running the fallback. If either is not
    /// what this run needs, run this program again with both set.
    private func configureDefaultRuntime() throws {
        let wanted = ["SWIFT_URING_WORKERS": "\(workers)", URingRuntime.Backend.environmentVariable: "io_uring"]
        let environment = ProcessInfo.processInfo.environment
        guard wanted.contains(where: { environment[$0.key] != $0.value }) else { return }
        for (name, value) in wanted { setenv(name, value, 1) }
        fflush(nil)
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        execv(executable, CommandLine.unsafeArgv)
        throw EngineFailure(description: "cannot restart uring-bench with \(wanted): errno \(errno)")
    }
}
