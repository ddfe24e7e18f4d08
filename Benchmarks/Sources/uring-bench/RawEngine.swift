// The C ceiling: Benchmarks/raw/raw-uring.c, a liburing loop in the manner of fio's
// t/io_uring (one ring, `iodepth` in flight, submit-and-wait for one CQE, reap every
// ready CQE in batches, refill as many), run as a child process. Built with the system
// compiler (`cc -O2 ... -luring`) into Benchmarks/.build/raw-uring on first use, or by
// scripts/bench; never committed. CPU: the child's own getrusage over its measured loop.

import Foundation

struct RawEngine: Engine {
    let name = "raw"

    /// Benchmarks/raw/raw-uring.c, found from this source file's place in the package.
    static let sourcePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("raw/raw-uring.c").path
    static let binaryPath = URL(fileURLWithPath: sourcePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/raw-uring").path

    func unavailableReason(_ workload: Workload) -> String? {
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
        return arguments
    }

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        let data = try ChildProcess.output(of: Self.binaryPath, arguments(workload), name: "raw-uring")
        var fields: [String: Double] = [:]
        for pair in String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { fields[String(parts[0])] = value }
        }
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
