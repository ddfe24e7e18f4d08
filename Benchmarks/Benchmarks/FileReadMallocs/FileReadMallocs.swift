// Mallocs per File.read: 1,000 4 KiB reads of a cached file per iteration, awaited one
// after another by a task on a one-worker URingRuntime (task-executor preference). Only
// the reads are measured (start/stopMeasurement); the file and the runtime are made
// once. The committed threshold is 0 mallocs per 1,000 reads (Thresholds/).

import Benchmark
import Glibc
import SystemPackage
import URing

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "File.read-4KiB-cached-x1000",
        configuration: .init(
            metrics: [.mallocCountTotal], maxDuration: .seconds(2),
            maxIterations: 200, thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])
    ) { benchmark in
        try await withTaskExecutorPreference(ReadFixture.shared.runtime.executor) {
            let fixture = ReadFixture.shared
            let buffer = fixture.buffer
            // One read before measuring: the first use of a ring's slot chunk allocates it.
            _ = try await fixture.file.read(into: buffer.pointer, at: 0)
            benchmark.startMeasurement()
            for index in 0..<1000 {
                let offset = Int64(index % 256) * 4096
                blackHole(try await fixture.file.read(into: buffer.pointer, at: offset))
            }
            benchmark.stopMeasurement()
        }
    }
}

/// The runtime, an open 1 MiB file and a buffer, made once for every iteration.
final class ReadFixture: Sendable {
    static let shared = ReadFixture()

    let runtime: URingRuntime
    let file: File
    let buffer: AlignedBuffer

    private init() {
        let path = FilePath("/tmp/swift-uring-malloc-bench.dat")
        do {
            let fd = try FileDescriptor.open(
                path, .readWrite, options: [.create], permissions: [.ownerReadWrite, .groupRead, .otherRead])
            _ = try fd.closeAfter { try fd.writeAll(toAbsoluteOffset: 0, [UInt8](repeating: 7, count: 1 << 20)) }
            runtime = try URingRuntime(.init(workers: 1, backend: .ioURing))
            file = File(taking: try FileDescriptor.open(path, .readOnly))
        } catch {
            fatalError("FileReadMallocs: cannot set up: \(error)")
        }
        buffer = AlignedBuffer(count: 4096)
    }
}

/// A 4 KiB-aligned buffer that lives as long as the process.
// @unchecked: only one benchmark task at a time reads into it.
final class AlignedBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawBufferPointer

    init(count: Int) {
        // Safety: never freed; the process ends with it.
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 4096)
    }
}
