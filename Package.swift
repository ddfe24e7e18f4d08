// swift-tools-version: 6.2
import PackageDescription

// Warnings fail the build of this package's own targets. SwiftPM ignores these
// settings when swift-uring is built as someone else's dependency.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "swift-uring",
    products: [
        .library(name: "URing", targets: ["URing"]),
        .library(name: "URingExecutor", targets: ["URingExecutor"]),
    ],
    // Optional integrations, off by default: their packages are resolved but neither built
    // nor linked unless a dependent enables the trait.
    traits: [
        .trait(
            name: "ServiceLifecycle",
            description: "URingRuntime and TCPListenerService as swift-service-lifecycle Services"),
        .trait(
            name: "Metrics",
            description: "URingRuntimeMetrics: the runtime's statistics as swift-metrics, per worker"),
        // NIO: ByteBuffer reads, writes, sends and chunk reads (Sources/URing/IO/NIO).
        .trait(name: "NIO", description: "SwiftNIO interop: read into, write and send ByteBuffer without copies"),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The documentation plugin only (`swift package generate-documentation`); no
        // target depends on it, so nothing of it is built into the libraries.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CLiburing",
            path: "CLiburing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .target(
            name: "URingExecutor",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "URing",
            dependencies: [
                "CLiburing",
                "URingExecutor",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(
                    name: "ServiceLifecycle", package: "swift-service-lifecycle",
                    condition: .when(traits: ["ServiceLifecycle"])),
                .product(name: "CoreMetrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["NIO"])),
            ],
            // Async functions run on their caller's executor unless marked @concurrent:
            // an I/O call then costs no executor hop (swift_task_switch) on entry.
            swiftSettings: strict + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .executableTarget(
            name: "URingExamples",
            dependencies: ["URing"],
            path: "Examples/URingExamples",
            swiftSettings: strict
        ),
        .target(
            name: "SchedulingScenarios",
            dependencies: ["URingExecutor"],
            path: "Tests/SchedulingScenarios",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "DefaultExecutorConformance",
            dependencies: ["URing", "URingExecutor", "SchedulingScenarios"],
            path: "Tests/DefaultExecutorConformance",
            swiftSettings: strict + [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
        ),
        .testTarget(
            name: "URingTests",
            dependencies: [
                "URing", "SchedulingScenarios", .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(
                    name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle",
                    condition: .when(traits: ["ServiceLifecycle"])),
                .product(name: "MetricsTestKit", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["NIO"])),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "URingExecutorTests",
            dependencies: ["URingExecutor", "SchedulingScenarios", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "GlobalExecutorExample",
            dependencies: ["URingExecutor"],
            path: "Examples/GlobalExecutor",
            swiftSettings: strict + [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
        ),
        .executableTarget(
            name: "RuntimeAsDefaultExample",
            dependencies: ["URing", "URingExecutor"],
            path: "Examples/RuntimeAsDefault",
            swiftSettings: strict + [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])]
        ),
    ]
)
