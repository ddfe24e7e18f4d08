// swift-uring as a program would use it when URingRuntimeFactory is its default
// executor (see DefaultExecutor.swift): plain tasks, no task-executor preference, so
// no Swift-runtime lock per resumption. `URingRuntimeFactory.shared.run {}` blocks
// this thread until the tasks finish. Workers: --workers (SWIFT_URING_WORKERS).
// io_uring_enter calls: the drivers' `ring.enterCalls` (public `statistics()`) read
// before and after the measured streams; the statistics requests add a few.
//
// Variants (`swift-uring+workers=2`, `swift-uring+defer-taskrun`, `+defer-taskrun=0`,
// `+fixed-buffers`: the streams read into buffers of a FixedBufferPool, READ_FIXED;
// `+submit=batched|direct|each`: Configuration.submission, when SQEs enter the kernel;
// `+registered-files`: the file is registered with the runtime, IOSQE_FIXED_FILE;
// `+spin=MICROSECONDS`: Configuration.spinBeforeParking; `+sqpoll=MILLISECONDS`:
// Configuration.submissionPollIdle, SQPOLL rings)
// need a default runtime configured differently from this process's, so each of their
// runs is a child uring-bench (`--child-run`) started with SWIFT_URING_WORKERS and
// SWIFT_URING_DEFER_TASKRUN set; it prints one result line (latency percentiles, not a
// histogram, so over rounds they are averaged like fio's).

@_spi(ExperimentalCustomExecutors) import URing
import Foundation
import URingExecutor
import Foundation

struct SwiftURingEngine: Engine {
    var name = "swift-uring"
    /// SWIFT_URING_WORKERS for a child process; nil: this process's runtime.
    var workers: Int?
    /// SWIFT_URING_DEFER_TASKRUN for a child process; nil: left unset (the default, off).
    var deferTaskRun: Bool?

    /// Lease the streams' buffers from a fixed-buffer pool (SWIFT_URING_FIXED_BUFFERS in
    /// a child process: iodepth buffers of --bs rounded up to 4 KiB).
    var fixedBuffers = false

    /// SWIFT_URING_SUBMIT in a child process.
    var submission: URingRuntime.Submission?

    /// Register the file with the runtime (SWIFT_URING_REGISTERED_FILES=1 in a child).
    var registeredFiles = false
    /// Poll the ring this long before parking (SWIFT_URING_SPIN_MICROSECONDS in a child).
    var spinMicroseconds: Int?
    /// SQPOLL rings with this idle time (SWIFT_URING_SQPOLL_MILLISECONDS in a child).
    var submissionPollMilliseconds: Int?

    var runsInChild: Bool {
        workers != nil || deferTaskRun != nil || spinMicroseconds != nil || fixedBuffers || submission != nil || registeredFiles
            || submissionPollMilliseconds != nil
    }

    init(name: String = "swift-uring", options: [String] = []) throws(SpecError) {
        self.name = name
        for option in options {
            if option.hasPrefix("workers="), let count = Int(option.dropFirst("workers=".count)), (1...256).contains(count) {
                workers = count
            } else if option == "defer-taskrun" || option == "defer-taskrun=1" {
                deferTaskRun = true
            } else if option == "defer-taskrun=0" {
                deferTaskRun = false
            } else if option == "fixed-buffers" {
                fixedBuffers = true
            } else if option == "registered-files" {
                registeredFiles = true
            } else if option.hasPrefix("spin="), let microseconds = Int(option.dropFirst("spin=".count)),
                (0...1_000_000).contains(microseconds)
            {
                spinMicroseconds = microseconds
            } else if option.hasPrefix("sqpoll="), let milliseconds = Int(option.dropFirst("sqpoll=".count)),
                (1...60_000).contains(milliseconds)
            {
                submissionPollMilliseconds = milliseconds
            } else if option.hasPrefix("submit=") {
                guard let policy = URingRuntime.Submission(rawValue: String(option.dropFirst("submit=".count))) else {
                    throw SpecError("engine '\(name)': '\(option)': submit= takes batched, direct or each")
                }
                submission = policy
            } else {
                throw SpecError("engine '\(name)': unknown option '\(option)'; swift-uring takes workers=N (1...256), defer-taskrun[=0|1], fixed-buffers, registered-files, spin=MICROSECONDS (0...1000000), sqpoll=MILLISECONDS (1...60000) and submit=batched|direct|each")
            }
        }
    }

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        if runsInChild { return try runChild(workload, progress: progress) }
        let (measured, enters) = try URingRuntimeFactory.shared.run {
            // Guard against a build where DefaultExecutorFactory is not in effect: the
            // tasks would then run on Swift's global pool and measure something else.
            guard URingExecutor.current?.executor === URingRuntimeFactory.shared.executor else {
                throw EngineFailure(description: "tasks are not on the default URingRuntime (DefaultExecutorFactory not installed)")
            }
            let before = await URingRuntimeFactory.shared.statistics()
            let schedulerBefore = URingRuntimeFactory.shared.executor.metrics
            let measured = try await FileStreams.run(
                workload, progress: progress, fixedBuffers: URingRuntimeFactory.shared.fixedBuffers,
                registeredFiles: URingRuntimeFactory.shared.registeredFiles)
            let scheduler = URingRuntimeFactory.shared.executor.metrics
            let after = await URingRuntimeFactory.shared.statistics()
            let enters = after.reduce(0) { $0 + $1.ring.enterCalls } - before.reduce(0) { $0 + $1.ring.enterCalls }
            if after.count > 1 {
                // Per ring: an uneven split of the tasks shows as one ring entering the
                // kernel far more often per operation than the others.
                for (start, end) in zip(before, after) {
                    let operations = end.operationsStarted - start.operationsStarted
                    let ringEnters = end.ring.enterCalls - start.ring.enterCalls
                    let perOperation = operations > 0 ? Double(ringEnters) / Double(operations) : 0
                    print("uring-bench: swift-uring worker \(end.worker): \(operations) operations, "
                        + "\(ringEnters) io_uring_enter calls (\(String(format: "%.3f", perOperation)) per operation)")
                }
                // Where tasks moved between workers: steals and wake-ups per 1000 operations.
                let perThousand = { (count: UInt64, start: UInt64) in
                    String(format: "%.2f", Double(count - start) * 1000 / Double(max(1, measured.operations)))
                }
                print("uring-bench: swift-uring scheduler per 1000 operations: "
                    + "\(perThousand(scheduler.steals, schedulerBefore.steals)) steals moving "
                    + "\(perThousand(scheduler.stolenJobs, schedulerBefore.stolenJobs)) jobs, "
                    + "\(perThousand(scheduler.parks, schedulerBefore.parks)) parks, "
                    + "\(perThousand(scheduler.notifications, schedulerBefore.notifications)) wake-ups, "
                    + "\(perThousand(scheduler.polls, schedulerBefore.polls)) polls, "
                    + "\(perThousand(scheduler.injectionPops, schedulerBefore.injectionPops)) injection pops")
            }
            return (measured, enters)
        }
        return RunResult(
            engine: name, operations: measured.operations,
            bytes: Int64(measured.operations) * Int64(workload.blockSize), elapsed: measured.elapsed,
            cpu: measured.cpu, latency: .recorded(measured.latency), enterCalls: enters)
    }

    /// One round in a child uring-bench whose default runtime has this variant's settings.
    private func runChild(_ workload: Workload, progress: Progress) throws -> RunResult {
        let childWorkers = workers ?? workload.workers
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_URING_WORKERS"] = "\(childWorkers)"
        environment[URingRuntime.Backend.environmentVariable] = "io_uring"
        if let deferTaskRun { environment["SWIFT_URING_DEFER_TASKRUN"] = deferTaskRun ? "1" : "0" }
        if let submission { environment[URingRuntime.Submission.environmentVariable] = submission.rawValue }
        if registeredFiles { environment["SWIFT_URING_REGISTERED_FILES"] = "1" }
        if let spinMicroseconds { environment["SWIFT_URING_SPIN_MICROSECONDS"] = "\(spinMicroseconds)" }
        if let submissionPollMilliseconds { environment["SWIFT_URING_SQPOLL_MILLISECONDS"] = "\(submissionPollMilliseconds)" }
        if fixedBuffers {
            // At least a huge page's worth, so the pool is backed by huge pages as the
            // other engines' buffers are (see StreamBuffers).
            let size = (workload.blockSize + 4095) / 4096 * 4096
            let count = max(workload.ioDepth, (AlignedBuffer.hugePageSize + size - 1) / size)
            environment["SWIFT_URING_FIXED_BUFFERS"] = "\(count)x\(size)"
        }
        let spec = "\(workload.pattern.rawValue):\(workload.blockSize):qd\(workload.ioDepth):\(workload.direct ? "direct" : "cached")"
        let arguments = [
            "--child-run", "--workload", spec, "--engines", "swift-uring", "--workers", "\(childWorkers)",
            "--runtime", "\(workload.runtime.seconds)", "--rounds", "1", "--size", "\(workload.fileSize)",
            "--file", workload.path.string, "--write-file", workload.path.string,
        ]
        let data = try ChildProcess.output(of: ChildRun.executablePath, arguments, name: name, environment: environment)
        let fields = ChildRun.fields(data, prefix: ChildRun.resultPrefix)
        guard let ops = fields["ops"], let seconds = fields["seconds"], seconds > 0, let cpu = fields["cpu_s"] else {
            throw EngineFailure(description: "\(name): the child uring-bench printed no result line")
        }
        progress.add(Int(ops))
        return RunResult(
            engine: name, operations: Int(ops), bytes: Int64(ops) * Int64(workload.blockSize),
            elapsed: .nanoseconds(Int64(seconds * 1e9)), cpu: .nanoseconds(Int64(cpu * 1e9)),
            latency: .reported(
                LatencyPercentiles(p50: fields["p50"] ?? .nan, p99: fields["p99"] ?? .nan, p999: fields["p999"] ?? .nan)),
            enterCalls: fields["enters"].map { Int($0) })
    }
}

/// The child side of engine variants that need a process of their own.
enum ChildRun {
    static let resultPrefix = "uring-bench-child-result"

    /// This program: /proc/self/exe itself, which still executes when the file was
    /// replaced or deleted meanwhile (a rebuild during a long run), unlike its target path.
    static var executablePath: String {
        FileManager.default.isExecutableFile(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
    }

    /// The line a child prints for its one run.
    static func line(_ result: RunResult) -> String {
        let p = result.percentiles
        var line = "\(resultPrefix) ops=\(result.operations) seconds=\(result.seconds) cpu_s=\(result.cpu.seconds)"
            + " p50=\(p.p50) p99=\(p.p99) p999=\(p.p999)"
        if let enters = result.enterCalls { line += " enters=\(enters)" }
        return line
    }

    /// key=value pairs of the first line starting with `prefix` (all lines when nil).
    static func fields(_ data: Data, prefix: String?) -> [String: Double] {
        var fields: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if let prefix, !line.hasPrefix(prefix) { continue }
            for pair in line.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, let value = Double(parts[1]) { fields[String(parts[0])] = value }
            }
            if prefix != nil { break }
        }
        return fields
    }
}
