// uring-bench: a fio-style workload (pattern, block size, depth, O_DIRECT) run by several
// engines on the same file, in alternating rounds (each starting one engine later) so that
// drift on a shared machine hits every engine alike. Prints one table with each engine's ratio to fio, and writes the
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
            Several workloads (--workload, repeatable, or --suite issue12) run in one process: \
            each round runs every workload on each of its engines in turn, so drift hits all alike; \
            tables give per-round IOPS (min/median/max) and the first engine's ratio to every other. \
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

    @Option(help: "Test file for read patterns; created and filled when missing or smaller. Never written.")
    var file: String = "/tmp/swift-uring-bench.dat"

    @Option(help: "Scratch file for write patterns (randwrite, write): created by uring-bench and overwritten. Never point it at a file you need.")
    var writeFile: String = "/tmp/swift-uring-bench-write.dat"

    @Option(help: ArgumentHelp(
        "Comma-separated engines or variants (name+option+...): \(engineNames.joined(separator: ",")).",
        discussion: "Variants: swift-uring+workers=N, swift-uring+defer-taskrun[=0|1], swift-uring+fixed-buffers, swift-uring+registered-files, swift-uring+submit=batched|direct|each, swift-uring+spin=MICROSECONDS, swift-uring+sqpoll=MILLISECONDS (child process each), raw+defer-taskrun, raw+sqpoll, raw+iopoll, raw+fixed-files, raw+fixed-buffers, raw+submit-each, fio+OPTION[=VALUE] (any fio option, e.g. fio+registerfiles+fixedbufs)."))
    var engines: String = engineNames.joined(separator: ",")

    @Option(name: .customLong("workload"), help: ArgumentHelp(
        "A workload to run (repeatable): \(WorkloadSpec.syntax). All workloads and engines take turns in each round. Without it: one workload from --rw, --bs, --iodepth, --direct."))
    var workloadSpecs: [String] = []

    @Option(help: "A named list of workloads: issue12 (O_DIRECT 4k randread QD1/32/128, 128k read QD8 and 4k randwrite QD32 cached and O_DIRECT, 1 vs 2 workers with pread-pool).")
    var suite: String?

    @Flag(help: .hidden)
    var childRun = false

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
        if let suite, suite != "issue12" { throw ValidationError("--suite must be issue12, not '\(suite)'") }
        let specs: [WorkloadSpec]
        do { specs = try workloadList() } catch { throw ValidationError(error.description) }
        for spec in specs {
            let names = spec.engines ?? engineList
            guard !names.isEmpty else { throw ValidationError("--engines must name at least one engine") }
            guard Set(names).count == names.count else { throw ValidationError("an engine is named twice in \(names)") }
            for name in names {
                do { _ = try makeEngine(name, deferTaskRunForRun: deferTaskrun) } catch { throw ValidationError(error.description) }
            }
            guard Int64(spec.blockSize) <= total else {
                throw ValidationError("--size must hold at least one block of \(spec.blockSize) bytes")
            }
        }
        for (option, path) in [("--file", Optional(file)), ("--write-file", Optional(writeFile)), ("--json", json), ("--svg", svg)] {
            guard let path else { continue }
            guard !path.isEmpty else { throw ValidationError("\(option) must not be empty") }
            var isDirectory: ObjCBool = false
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(option): directory \(parent) does not exist")
            }
        }
        if !childRun && URL(fileURLWithPath: file).standardized.path == URL(fileURLWithPath: writeFile).standardized.path {
            throw ValidationError("--write-file must differ from --file (write patterns overwrite it)")
        }
    }

    /// The workloads of this run: --suite's, then every --workload; with neither, the one
    /// --rw, --bs, --iodepth and --direct describe.
    func workloadList() throws(SpecError) -> [WorkloadSpec] {
        var texts = suite == "issue12" ? WorkloadSpec.issue12 : []
        texts += workloadSpecs
        if texts.isEmpty {
            return [
                WorkloadSpec(
                    pattern: AccessPattern(rawValue: rw) ?? .randread, blockSize: Int(parseSize(bs) ?? 4096),
                    ioDepth: iodepth, direct: direct)
            ]
        }
        var specs: [WorkloadSpec] = []
        for text in texts { specs.append(try WorkloadSpec(parsing: text)) }
        return specs
    }

    var engineList: [String] {
        engines.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// Async so that the compiler installs DefaultExecutorFactory (it does so for an async
    /// main only). The engines block their calling thread, so they run on a plain thread.
    func run() async throws {
        try configureDefaultRuntime()
        try await PlainThread.run { try self.benchmark() }
    }

    func benchmark() throws {
        let specs = try workloadList()
        let perRound = Duration.milliseconds(Int64(runtime * 1000 / Double(rounds)))
        let fileSize = parseSize(size)!
        if childRun {
            // A variant's child: one engine, one workload, one round; the parent prepared
            // the file. Only the result line goes to stdout.
            let spec = specs[0]
            let workload = Workload(
                pattern: spec.pattern, blockSize: spec.blockSize, ioDepth: spec.ioDepth, fileSize: fileSize,
                runtime: perRound, path: FilePath(spec.pattern.isWrite ? writeFile : file), direct: spec.direct,
                workers: workers)
            let result = try SwiftURingEngine().run(workload, progress: Progress(quiet: true))
            print(ChildRun.line(result))
            return
        }

        struct Planned {
            var workload: Workload
            var engines: [any Engine]
        }
        var plan: [Planned] = []
        var prepared: Set<String> = []
        for spec in specs {
            let path = FilePath(spec.pattern.isWrite ? writeFile : file)
            let workload = Workload(
                pattern: spec.pattern, blockSize: spec.blockSize, ioDepth: spec.ioDepth, fileSize: fileSize,
                runtime: perRound, path: path, direct: spec.direct, workers: workers)
            if !prepared.contains(path.string) {
                try BenchmarkFile.prepare(path, size: fileSize) { print("uring-bench: \($0)") }
                prepared.insert(path.string)
            }
            if spec.direct, let reason = directIOUnsupportedReason(path) {
                print("uring-bench: skipping workload \(workload.label): \(reason)")
                continue
            }
            var selected: [any Engine] = []
            for name in spec.engines ?? engineList {
                let engine = try makeEngine(name, deferTaskRunForRun: deferTaskrun)
                if let reason = engine.unavailableReason(workload) {
                    print("uring-bench: \(workload.label): skipping \(name): \(reason)")
                } else {
                    selected.append(engine)
                }
            }
            if !selected.isEmpty { plan.append(Planned(workload: workload, engines: selected)) }
        }
        guard !plan.isEmpty else {
            print("uring-bench: nothing to run")
            throw ExitCode.failure
        }
        for item in plan {
            print("uring-bench: \(item.workload): \(item.engines.map(\.name).joined(separator: ", "))")
        }
        print("uring-bench: rounds=\(rounds), \(format(perRound.seconds, decimals: 2))s per engine per workload per round")
        print("uring-bench: this process's default executor is a URingRuntime (\(workers) worker(s)); the nio engine's tasks")
        print("             run there too, while NIOFileSystem does its file I/O on NIO's own thread pool")

        let progress = Progress()
        // results[workload index][engine name]: one RunResult per round.
        var results = [[String: [RunResult]]](repeating: [:], count: plan.count)
        var failed = [Set<String>](repeating: [], count: plan.count)
        for round in 1...rounds {
            for (index, item) in plan.enumerated() {
                // Each round starts one engine later, so no engine always runs first (after
                // the file's preparation or another workload).
                let count = item.engines.count
                let order = (0..<count).map { item.engines[($0 + round - 1) % count] }
                for engine in order where !failed[index].contains(engine.name) {
                    do {
                        if item.workload.pattern.isWrite {
                            try BenchmarkFile.settle(
                                item.workload.path, size: item.workload.fileSize, direct: item.workload.direct)
                        } else if !item.workload.direct {
                            try BenchmarkFile.rewarm(item.workload.path, size: item.workload.fileSize)
                        }
                        let result = try progress.show(
                            "\(item.workload.label) \(engine.name) round \(round)/\(rounds)", planned: item.workload.runtime
                        ) {
                            try engine.run(item.workload, progress: progress)
                        }
                        let latency = result.percentiles
                        var enters = ""
                        if let perOperation = result.entersPerOperation {
                            enters = "  \(format(perOperation, decimals: 3)) enters/op"
                        }
                        print(
                            "uring-bench: round \(round)/\(rounds) \(item.workload.label.padded(26))\(engine.name.padded(28))"
                                + "\(formatCount(result.iops).padded(8)) IOPS  p50 \(format(latency.p50, decimals: 1)) us"
                                + "  CPU \(format(result.cpuPercent, decimals: 0))%  \(formatCount(result.iopsPerCore)) IOPS/core\(enters)")
                        results[index][engine.name, default: []].append(result)
                    } catch {
                        print("uring-bench: \(item.workload.label) \(engine.name) failed: \(error)")
                        failed[index].insert(engine.name)
                    }
                }
            }
        }
        var report = JSONReport()
        for (index, item) in plan.enumerated() {
            let names = item.engines.map(\.name).filter { !failed[index].contains($0) }
            let totals = names.compactMap { RunResult.combine(results[index][$0] ?? []) }
            let perRound = names.map { results[index][$0] ?? [] }
            print(ResultTable.render(totals, rounds: perRound, workload: item.workload))
            report.add(totals, rounds: perRound, workload: item.workload)
            if let svg {
                let path = plan.count == 1 ? svg : Self.insert(item.workload.label, into: svg)
                try SVGChart.write(totals, workload: item.workload, to: path)
                print("uring-bench: SVG chart written to \(path)")
            }
        }
        if let json {
            try report.write(to: json)
            print("uring-bench: JSON written to \(json)")
        }
        if failed.contains(where: { !$0.isEmpty }) { throw ExitCode.failure }
    }

    /// chart.svg -> chart-randread-4k-qd32-direct.svg
    static func insert(_ label: String, into path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().path
        return ext.isEmpty ? "\(base)-\(label)" : "\(base)-\(label).\(ext)"
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
