// The C ceiling: Benchmarks/raw/raw-uring.c, a liburing loop in the manner of fio's
// t/io_uring (one ring, `iodepth` in flight, submit-and-wait for one CQE, reap every
// ready CQE in batches, refill as many), run as a child process. Built with the system
// compiler (`cc -O2 ... -luring`) into Benchmarks/.build/raw-uring on first use, or by
// scripts/bench; never committed. CPU: the child's own getrusage over its measured loop.
// Variants pass raw-uring's switches: `raw+defer-taskrun` (SINGLE_ISSUER|DEFER_TASKRUN),
// `raw+sqpoll`, `raw+iopoll` (skipped with the reason unless O_DIRECT on a device whose
// queue/io_poll is 1), `raw+fixed-files`, `raw+fixed-buffers`, `raw+submit-each` (one
// io_uring_enter per SQE, as fio's io_uring engine enters by default).

import Foundation
import Glibc
import SystemPackage

struct RawEngine: Engine {
    var name = "raw"
    /// raw-uring switches, without the leading dashes.
    var switches: [String] = []

    static let knownSwitches = ["defer-taskrun", "sqpoll", "iopoll", "fixed-files", "fixed-buffers", "submit-each"]

    init(name: String = "raw", options: [String] = []) throws(SpecError) {
        self.name = name
        for option in options where !Self.knownSwitches.contains(option) {
            throw SpecError("engine '\(name)': unknown option '\(option)'; raw takes \(Self.knownSwitches.joined(separator: ", "))")
        }
        switches = options
    }

    /// Benchmarks/raw/raw-uring.c, found from this source file's place in the package.
    static let sourcePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("raw/raw-uring.c").path
    static let binaryPath = URL(fileURLWithPath: sourcePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/raw-uring").path

    func unavailableReason(_ workload: Workload) -> String? {
        if switches.contains("iopoll") {
            guard workload.direct else { return "IOPOLL needs O_DIRECT (the page cache cannot be polled)" }
            if let reason = pollingUnsupportedReason(workload.path.string) { return reason }
        }
        do {
            try Self.build()
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Compiles raw-uring.c unless the binary is newer than the source.
    static func build() throws {
        let files = FileManager.default
        guard files.fileExists(atPath: sourcePath) else { throw EngineSkipped(description: "\(sourcePath) not found") }
        if let built = try? files.attributesOfItem(atPath: binaryPath)[.modificationDate] as? Date,
            let source = try? files.attributesOfItem(atPath: sourcePath)[.modificationDate] as? Date, built >= source
        {
            return
        }
        try? files.createDirectory(
            atPath: URL(fileURLWithPath: binaryPath).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O2", "-o", binaryPath, sourcePath, "-luring"]
        try compiler.run()
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else {
            throw EngineSkipped(description: "cc could not build \(sourcePath) (liburing-dev missing? scripts/bootstrap installs it)")
        }
    }

    func arguments(_ workload: Workload) -> [String] {
        var arguments = [
            "--file", workload.path.string, "--rw", workload.pattern.rawValue, "--bs", "\(workload.blockSize)",
            "--iodepth", "\(workload.ioDepth)", "--runtime", "\(workload.runtime.seconds)",
            "--size", "\(workload.fileSize)",
        ]
        if workload.direct { arguments.append("--direct") }
        arguments += switches.map { "--\($0)" }
        return arguments
    }

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let data = try ChildProcess.output(of: Self.binaryPath, arguments(workload), name: "raw-uring")
        let fields = ChildRun.fields(data, prefix: nil)
        guard let ops = fields["ops"], let seconds = fields["seconds"], seconds > 0, let user = fields["user_s"],
            let system = fields["sys_s"], let enters = fields["enters"]
        else { throw EngineFailure(description: "raw-uring printed no result line") }
        let operations = Int(ops)
        progress.add(operations)
        return RunResult(
            engine: name, operations: operations, bytes: Int64(operations) * Int64(workload.blockSize),
            elapsed: .nanoseconds(Int64(seconds * 1e9)), cpu: .nanoseconds(Int64((user + system) * 1e9)),
            latency: .reported(LatencyPercentiles(p50: .nan, p99: .nan, p999: .nan)), enterCalls: Int(enters))
    }
}

/// Why IORING_SETUP_IOPOLL cannot complete reads of `path` here, or nil: the block
/// device holding it (its partition's disk) must have poll queues (queue/io_poll = 1).
func pollingUnsupportedReason(_ path: String) -> String? {
    var status = stat()
    guard stat(path, &status) == 0 else { return "cannot stat \(path): \(Errno(rawValue: errno))" }
    // glibc's major()/minor() are macros Swift cannot call; the same bit layout.
    let dev = UInt64(status.st_dev)
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
    let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
    let device = "/sys/dev/block/\(major):\(minor)"
    for candidate in ["\(device)/queue/io_poll", "\(device)/../queue/io_poll"] {
        guard let text = try? String(contentsOfFile: candidate, encoding: .utf8) else { continue }
        let disk = (try? FileManager.default.destinationOfSymbolicLink(atPath: device)).map {
            URL(fileURLWithPath: $0).lastPathComponent
        } ?? device
        if text.trimmingWhitespace() == "1" { return nil }
        return "the device holding \(path) (\(disk)) has no poll queues (\(candidate) is \(text.trimmingWhitespace())): "
            + "IOPOLL reads fail with EOPNOTSUPP"
    }
    return "no block device found for \(path) (\(device)): IOPOLL needs one with poll queues"
}
