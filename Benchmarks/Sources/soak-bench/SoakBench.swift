// soak-bench: a mixed read/write/open/cancel load on a 2-worker URingRuntime for a fixed
// time, watched from the main thread, then checked:
// - rss: resident memory, sampled every second, stays within --tolerance percent of its
//   value at the end of the warm-up;
// - slots: no operation in flight on any driver once the load has stopped;
// - buffers: no provided receive buffer held once every stream is closed;
// - fds: the descriptor count is back to what it was before the load (runtime running)
//   and, after shutdown, to what it was before the runtime;
// - load: every kind of work ran and nothing failed but cancellations and deadlines.
// One verdict line per criterion; the exit status is 1 if any failed.

import ArgumentParser
import Glibc
import ProcessProbe
import SystemPackage
import URing

@main
struct SoakBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak-bench",
        abstract: "Run a mixed read/write/open/cancel load on a URingRuntime and check that memory, slots, buffers and descriptors stay flat.")

    @Option(help: "Seconds of load.")
    var duration: Int = 60

    @Option(help: "Seconds of warm-up before the RSS baseline is taken (default: 10, or a third of a shorter run).")
    var warmup: Int?

    @Option(help: "Largest RSS deviation from the baseline that passes, in percent.")
    var tolerance: Double = 5

    @Option(help: "Worker threads (and rings) of the runtime.")
    var workers: Int = 2

    @Option(help: "Report jobs that hold a worker longer than this many milliseconds (0: no reports).")
    var stallThresholdMs: Int = 100

    @Option(help: "Tasks doing random 4 KiB reads and writes on the scratch file.")
    var fileStreams: Int = 16

    @Option(help: "Tasks whose receives and pipe reads get cancelled, each with a socket pair and a pipe.")
    var cancellers: Int = 8

    @Option(help: "Tasks that open, read and close the scratch file.")
    var openers: Int = 4

    @Option(help: "Scratch file (created, and removed at the end).")
    var file: String = "/tmp/swift-uring-soak.dat"

    @Option(help: "Size of the scratch file in MiB.")
    var fileMiB: Int = 16

    func validate() throws {
        guard duration >= 2 else { throw ValidationError("--duration must be at least 2 seconds") }
        guard (0..<duration).contains(warmupSeconds) else {
            throw ValidationError("--warmup must be 0...\(duration - 1) seconds (below --duration)")
        }
        guard tolerance > 0 else { throw ValidationError("--tolerance must be positive") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard fileStreams >= 1, cancellers >= 1, openers >= 1 else {
            throw ValidationError("--file-streams, --cancellers and --openers must each be at least 1")
        }
        guard fileMiB >= 1 else { throw ValidationError("--file-mib must be at least 1") }
        guard stallThresholdMs >= 0 else { throw ValidationError("--stall-threshold-ms must not be negative") }
    }

    private var warmupSeconds: Int { warmup ?? min(10, duration / 3) }

    func run() throws {
        let path = FilePath(file)
        try ScratchFile.create(at: path, bytes: fileMiB << 20)
        defer { unlink(file) }

        let descriptorsBeforeRuntime = ProcessProbe.openDescriptors()
        let counters = SoakCounters()
        let observed = try soak(path: path, counters: counters)
        // The runtime is released now: its rings and eventfds must be closed.
        let descriptorsAfterRelease = ProcessProbe.openDescriptors()

        let verdicts = [
            Verdict.rss(samples: observed.residentSamples, warmup: warmupSeconds, tolerance: tolerance),
            Verdict.slots(observed.statistics),
            Verdict.buffers(observed.statistics),
            Verdict.descriptors(
                beforeLoad: observed.descriptorsBeforeLoad, afterLoad: observed.descriptorsAfterLoad,
                beforeRuntime: descriptorsBeforeRuntime, afterRelease: descriptorsAfterRelease),
            Verdict.load(counters, finished: observed.loadFinished, seconds: duration),
        ]
        for verdict in verdicts { print(verdict.line) }
        if verdicts.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }

    private struct Observations {
        var residentSamples: [Int] = []
        var statistics: [DriverStatistics] = []
        var descriptorsBeforeLoad = 0
        var descriptorsAfterLoad = 0
        var loadFinished: Result<Void, any Error> = .success(())
    }

    /// Starts the runtime, runs the load for `duration` while sampling RSS every second
    /// on this (non-worker) thread, stops the load, reads the drivers' counters and shuts
    /// the runtime down.
    private func soak(path: FilePath, counters: SoakCounters) throws -> Observations {
        var observed = Observations()
        // io_uring explicitly: a soak of the fallback would not say anything about the rings.
        var configuration = URingRuntime.Configuration(workers: workers, backend: .ioURing)
        // The default 10 ms threshold reports every preemption on a busy machine; this is
        // not a latency benchmark.
        configuration.stallThreshold = stallThresholdMs > 0 ? .milliseconds(stallThresholdMs) : nil
        let runtime = try URingRuntime(configuration)
        defer { runtime.shutdown() }
        observed.descriptorsBeforeLoad = ProcessProbe.openDescriptors()
        print("soak: \(duration) s on \(workers) workers (\(fileStreams) file streams, \(cancellers) cancellers, "
            + "\(openers) openers), \(warmupSeconds) s warm-up, RSS tolerance \(tolerance)%")

        let load = SoakLoad(
            path: path, fileSize: fileMiB << 20, fileStreams: fileStreams, cancellers: cancellers, openers: openers,
            counters: counters)
        let task = Task(executorPreference: runtime.executor) { try await load.run() }

        let start = ContinuousClock.now
        var operationsBefore = 0
        for second in 1...duration {
            sleep(until: start + .seconds(second))
            let rss = ProcessProbe.residentBytes()
            observed.residentSamples.append(rss)
            let operations = counters.total
            print("soak: t=\(second)s rss=\(mebibytes(rss)) MiB ops/s=\(operations - operationsBefore)"
                + " fds=\(ProcessProbe.openDescriptors())\(second == warmupSeconds ? " (baseline)" : "")")
            operationsBefore = operations
        }
        counters.stop.store(true, ordering: .relaxed)
        observed.loadFinished = Result { try runtime.run { try await task.value } }
        observed.statistics = runtime.run { await runtime.statistics() }
        observed.descriptorsAfterLoad = ProcessProbe.openDescriptors()
        return observed
    }

    /// Blocks the main thread (not a worker) until `instant`, through signal interruptions.
    private func sleep(until instant: ContinuousClock.Instant) {
        while case let remaining = ContinuousClock.now.duration(to: instant), remaining > .zero {
            let (seconds, attoseconds) = remaining.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            nanosleep(&request, nil)
        }
    }
}

func mebibytes(_ bytes: Int) -> String {
    let tenths = (bytes * 10 + (1 << 19)) >> 20
    return "\(tenths / 10).\(tenths % 10)"
}

/// The scratch file, written with plain syscalls before the runtime starts.
enum ScratchFile {
    static func create(at path: FilePath, bytes: Int) throws {
        let descriptor = try FileDescriptor.open(
            path, .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        try descriptor.closeAfter {
            let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
            var written = 0
            while written < bytes {
                written += try descriptor.writeAll(chunk.prefix(min(chunk.count, bytes - written)))
            }
        }
    }
}
