// swift-tools-version: 6.2
// The example servers, EchoServer and HTTPServer, and what they share (ExampleSupport):
// a package of its own that depends on swift-uring the way an application would (by path
// here, by URL in yours) with the ServiceLifecycle trait (TCPListenerService, the runtime
// as a Service), outside the root package so that its users never resolve these servers.
// Building swift-uring itself never builds it: scripts/examples-check does (in `.ci/run`),
// and so do Benchmarks/scripts/http-bench and http-idle-memory.
import PackageDescription

let settings: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    // URingRuntimeFactory as the default executor (SPI): see swift-uring's README.
    .unsafeFlags(["-Xfrontend", "-disable-availability-checking"]),
]

let package = Package(
    name: "Servers",
    products: [
        .executable(name: "EchoServer", targets: ["EchoServer"]),
        .executable(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        .package(name: "swift-uring", path: "../..", traits: ["ServiceLifecycle"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "ExampleSupport",
            dependencies: [
                .product(name: "URing", package: "swift-uring"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "EchoServer",
            dependencies: [
                "ExampleSupport",
                .product(name: "URing", package: "swift-uring"),
                .product(name: "URingExecutor", package: "swift-uring"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "HTTPServer",
            dependencies: [
                "ExampleSupport",
                .product(name: "URing", package: "swift-uring"),
                .product(name: "URingExecutor", package: "swift-uring"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
    ],
    swiftLanguageModes: [.v6]
)
