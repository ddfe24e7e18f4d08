// swift-tools-version: 6.2
// A small service that depends on swift-uring the way an application would (by path here,
// by URL in yours), with both of its integration traits on. It is its own package, outside
// the root one, so building swift-uring itself never builds it: `.ci/run` does, through
// scripts/service-example-check.
import PackageDescription

let package = Package(
    name: "ServiceExample",
    dependencies: [
        .package(name: "swift-uring", path: "../..", traits: ["ServiceLifecycle", "Metrics"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ServiceExample",
            dependencies: [
                .product(name: "URing", package: "swift-uring"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [
                .treatAllWarnings(as: .error),
                // URingRuntimeFactory as the default executor (SPI): see swift-uring's README.
                .unsafeFlags(["-Xfrontend", "-disable-availability-checking"]),
            ]
        )
    ]
)
