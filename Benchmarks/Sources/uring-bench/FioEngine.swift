// fio's io_uring engine on the same file and workload, run as a child process with JSON
// output: the reference every other engine is compared with. One job, one thread, the
// same iodepth, --invalidate=0 (fio would otherwise drop the file's page cache first),
// --direct=1 with --direct. Latency: fio's total-latency percentiles (--lat_percentiles,
// submission included), falling back to completion latency (clat) if fio gives no lat.

import Foundation

struct FioEngine: Engine {
    var name = "fio"
    /// Extra fio options from a variant: `fio+registerfiles+fixedbufs` adds
    /// `--registerfiles --fixedbufs`; `fio+iodepth_batch_submit=32` adds that option.
    var extraOptions: [String] = []

    init(name: String = "fio", options: [String] = []) {
        self.name = name
        extraOptions = options.map { "--\($0)" }
    }

    static var executablePath: String? {
        ProcessInfo.processInfo.environment["PATH", default: "/usr/bin:/bin"].split(separator: ":")
            .map { "\($0)/fio" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func unavailableReason(_ workload: Workload) -> String? {
        Self.executablePath == nil ? "fio is not installed (apt-get install fio)" : nil
    }

    func arguments(_ workload: Workload) -> [String] {
        [
            "--name=swift-uring-bench", "--filename=\(workload.path)", "--ioengine=io_uring",
            "--rw=\(workload.pattern.rawValue)", "--bs=\(workload.blockSize)", "--iodepth=\(workload.ioDepth)",
            "--size=\(workload.fileSize)", "--runtime=\(Int64(workload.runtime.seconds * 1000))ms", "--time_based",
            "--direct=\(workload.direct ? 1 : 0)", "--invalidate=0", "--numjobs=1", "--thread",
            "--lat_percentiles=1", "--percentile_list=50:99:99.9", "--output-format=json",
        ] + extraOptions
    }

    func run(_ workload: Workload, progress: Progress) throws -> RunResult {
        guard let executable = Self.executablePath else { throw EngineSkipped(description: "fio is not installed") }
        let data = try ChildProcess.output(of: executable, arguments(workload), name: "fio")
        return try parse(data, workload: workload)
    }

    private func parse(_ data: Data, workload: Workload) throws -> RunResult {
        // fio may print notices before the JSON document.
        guard let open = data.firstIndex(of: UInt8(ascii: "{")) else {
            throw EngineFailure(description: "fio printed no JSON")
        }
        let object = try JSONSerialization.jsonObject(with: data[open...])
        let direction = workload.pattern.isWrite ? "write" : "read"
        guard let root = object as? [String: Any], let job = (root["jobs"] as? [[String: Any]])?.first,
            let side = job[direction] as? [String: Any], let ios = number(side["total_ios"]),
            let runtimeMs = number(side["runtime"]), runtimeMs > 0
        else { throw EngineFailure(description: "unexpected fio JSON layout") }
        let latencies = (side["lat_ns"] as? [String: Any])?["percentile"] as? [String: Any]
            ?? (side["clat_ns"] as? [String: Any])?["percentile"] as? [String: Any] ?? [:]
        func microseconds(_ key: String) -> Double { (number(latencies[key]) ?? .nan) / 1000 }
        let cpuFraction = ((number(job["usr_cpu"]) ?? 0) + (number(job["sys_cpu"]) ?? 0)) / 100
        let operations = Int(ios)
        return RunResult(
            engine: name, operations: operations, bytes: Int64(operations) * Int64(workload.blockSize),
            elapsed: .milliseconds(Int64(runtimeMs)), cpu: .milliseconds(Int64(runtimeMs * cpuFraction)),
            latency: .reported(
                LatencyPercentiles(
                    p50: microseconds("50.000000"), p99: microseconds("99.000000"), p999: microseconds("99.900000"))))
    }

    private func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue
    }
}
