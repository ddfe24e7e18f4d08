// swift-tools-version: 6.2
// Hummingbird serving static files through swift-uring: a package of its own, so users of
// swift-uring never resolve Hummingbird. The library URingFileProvider is a Hummingbird
// FileProvider whose file I/O goes through io_uring; Hummingbird keeps SwiftNIO for its
// sockets. The executable serves a directory with either provider (for the comparison in
// Benchmarks/scripts/hummingbird-bench).
import PackageDescription

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "HummingbirdFiles",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "URingFileProvider", targets: ["URingFileProvider"]),
        .executable(name: "hummingbird-files", targets: ["HummingbirdFiles"]),
    ],
    dependencies: [
        .package(name: "swift-uring", path: "../..", traits: ["NIO"]),
        // No traits: the defaults pull in swift-configuration, which nothing here uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        .target(
            name: "URingFileProvider",
            dependencies: [
                .product(name: "URing", package: "swift-uring"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "HummingbirdFiles",
            dependencies: [
                "URingFileProvider",
                .product(name: "URing", package: "swift-uring"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "URingFileProviderTests",
            dependencies: [
                "URingFileProvider",
                .product(name: "URing", package: "swift-uring"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
    ]
)
