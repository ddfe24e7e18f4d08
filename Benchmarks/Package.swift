// swift-tools-version: 6.2
import PackageDescription

// Benchmarks live in their own package so that their dependencies never reach
// swift-uring's users.
//
// - uring-bench: the fio-class CLI (scripts/bench runs it). URingRuntimeFactory is its
//   process-default executor, which needs the SPI and -disable-availability-checking.
// - executor-bench: tokio's scheduler benchmarks (ExecutorWorkloads), one table: it starts
//   executor-bench-default (URingRuntimeFactory as default executor), executor-bench-swift
//   (Swift's default executor) and tokio-peer/ (Rust, built by scripts/executor-bench).
// - nio-http-server: the SwiftNIO counterpart of Examples/Servers' HTTPServer, for scripts/http-bench.
// - soak-bench: a mixed read/write/open/cancel load; RSS, slots, buffers, fds stay flat.
// - shutdown-leak-check: a runtime shut down under load, for valgrind (scripts/leak-check).
// - tree-copy-bench: FileSystem.copyTree against cp -a on a 16,000-file tree
//   (scripts/tree-copy-bench).
// - Benchmarks/<Suite>: ordo-one/benchmark suites (malloc counts, thresholds in
//   Thresholds/): `swift package benchmark` in this directory.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "swift-uring-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-uring", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Only the malloc interposer: the Swift 6.3 runtime interposer (a default trait) is
        // not needed for malloc counts.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "uring-bench",
            dependencies: [
                .product(name: "URing", package: "swift-uring"),
                .product(name: "URingExecutor", package: "swift-uring"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/uring-bench",
            // URingRuntimeFactory (the default executor) is SPI behind availability checks.
            swiftSettings: strict + [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
        ),
        .executableTarget(name: "executor-bench", path: "Sources/executor-bench", swiftSettings: strict),
        .target(name: "ExecutorWorkloads", path: "Sources/ExecutorWorkloads", swiftSettings: strict),
        .executableTarget(
            name: "executor-bench-default",
            dependencies: [
                "ExecutorWorkloads",
                .product(name: "URing", package: "swift-uring"),
            ],
            path: "Sources/executor-bench-default",
            // URingRuntimeFactory (the default executor) is SPI behind availability checks.
            swiftSettings: strict + [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
        ),
        .executableTarget(
            name: "executor-bench-swift",
            dependencies: [
                "ExecutorWorkloads",
                .product(name: "URingExecutor", package: "swift-uring"),
            ],
            path: "Sources/executor-bench-swift",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "soak-bench",
            dependencies: [
                "ProcessProbe",
                .product(name: "URing", package: "swift-uring"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/soak-bench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "shutdown-leak-check",
            dependencies: [
                "ProcessProbe",
                .product(name: "URing", package: "swift-uring"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/shutdown-leak-check",
            swiftSettings: strict
        ),
        .target(name: "ProcessProbe", path: "Sources/ProcessProbe", swiftSettings: strict),
        .executableTarget(
            name: "tree-copy-bench",
            dependencies: [
                .product(name: "URing", package: "swift-uring"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/tree-copy-bench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "nio-http-server",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/nio-http-server",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FileReadMallocs",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "URing", package: "swift-uring"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Benchmarks/FileReadMallocs",
            swiftSettings: strict,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ExecutorJobMallocs",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "URingExecutor", package: "swift-uring"),
            ],
            path: "Benchmarks/ExecutorJobMallocs",
            swiftSettings: strict,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
