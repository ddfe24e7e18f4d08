// fio's io_uring engine on the same file and workload, run as a child process with
// JSON output; the reference every other engine is compared with.

import Foundation

struct FioEngine: Engine {
    let name = "fio"

    static var isInstalled: Bool {
        ProcessInfo.processInfo.environment["PATH", default: "/usr/bin"].split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/fio")
        }
    }

    func run(_ workload: Workload) throws -> RunResult {
        guard Self.isInstalled else { throw EngineFailure(description: "fio is not installed (apt-get install fio)") }
        let seconds = Double(workload.runtime.components.seconds) + Double(workload.runtime.components.attoseconds) * 1e-18
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "fio", "--name=swift-uring-bench", "--filename=\(workload.path)", "--ioengine=io_uring",
            "--rw=\(workload.pattern.rawValue)", "--bs=\(workload.blockSize)", "--iodepth=\(workload.ioDepth)",
            "--size=\(workload.fileSize)", "--runtime=\(String(format: "%.3f", seconds))s", "--time_based",
            "--invalidate=0", "--numjobs=1", "--thread", "--output-format=json",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EngineFailure(description: "fio exited with status \(process.terminationStatus)")
        }
        return try parse(data, workload: workload)
    }

    private func parse(_ data: Data, workload: Workload) throws -> RunResult {
        // fio may print notices before the JSON document.
        guard let open = data.firstIndex(of: UInt8(ascii: "{")) else {
            throw EngineFailure(description: "fio printed no JSON")
        }
        let object = try JSONSerialization.jsonObject(with: data[open...])
        guard let root = object as? [String: Any], let job = (root["jobs"] as? [[String: Any]])?.first,
            let read = job["read"] as? [String: Any], let ios = read["total_ios"] as? Int,
            let runtimeMs = read["runtime"] as? Int
        else { throw EngineFailure(description: "unexpected fio JSON layout") }
        let userCPU = (job["usr_cpu"] as? Double) ?? 0
        let systemCPU = (job["sys_cpu"] as? Double) ?? 0
        let elapsed = Duration.milliseconds(runtimeMs)
        let cpuFraction = (userCPU + systemCPU) / 100
        return RunResult(
            engine: name, operations: ios, bytes: Int64(ios) * Int64(workload.blockSize), elapsed: elapsed,
            cpu: .milliseconds(Int64(Double(runtimeMs) * cpuFraction)))
    }
}
