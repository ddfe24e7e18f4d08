// swift-tools-version: 6.2
import PackageDescription

// Benchmarks live in their own package so that their dependencies never reach
// swift-uring's users.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "swift-uring-benchmarks",
    dependencies: [
        .package(name: "swift-uring", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "uring-bench",
            dependencies: [
                .product(name: "URing", package: "swift-uring"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/uring-bench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "executor-bench",
            dependencies: [
                .product(name: "URingExecutor", package: "swift-uring"),
            ],
            path: "Sources/executor-bench",
            swiftSettings: strict
        ),
    ]
)
