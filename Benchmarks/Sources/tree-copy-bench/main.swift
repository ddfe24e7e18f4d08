// tree-copy-bench: FileSystem.copyTree against `cp -a` (Benchmarks/scripts/tree-copy-bench
// runs both in alternating rounds and checks each copy).
//
//   tree-copy-bench make-tree DIR [FILES]     a tree of FILES (default 16,000) regular files
//                                             of 0-64 KiB in nested directories, with one
//                                             symbolic link per 100 files and mixed modes
//   tree-copy-bench copy SOURCE DESTINATION [CONCURRENCY]
//                                             FileSystem.copyTree on a URingRuntime (one
//                                             worker per CPU); prints the seconds it took

import Foundation
import SystemPackage
import URing

/// A deterministic generator, so every run builds the same tree.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func makeTree(at root: String, files: Int) throws {
    var random = SplitMix(state: 42)
    let modes: [FilePermissions] = [
        FilePermissions(rawValue: 0o644), FilePermissions(rawValue: 0o600), FilePermissions(rawValue: 0o755),
        FilePermissions(rawValue: 0o640),
    ]
    let payload = (0..<(64 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
    let perDirectory = 20
    for index in 0..<files {
        let top = index / (perDirectory * 20), middle = (index / perDirectory) % 20
        let directory = "\(root)/d\(top)/s\(middle)"
        if index % perDirectory == 0 {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let path = FilePath("\(directory)/f\(index)")
        if index % 100 == 99 {
            guard symlink("f\(index - 1)", path.string) == 0 else { throw Errno(rawValue: errno) }
            continue
        }
        let size = Int(random.next() % UInt64(64 * 1024 + 1))
        let mode = modes[Int(random.next() % UInt64(modes.count))]
        let descriptor = try FileDescriptor.open(path, .writeOnly, options: [.create, .exclusiveCreate], permissions: mode)
        defer { try? descriptor.close() }
        _ = try payload[..<size].withUnsafeBytes { try descriptor.writeAll($0) }
        guard fchmod(descriptor.rawValue, mode.rawValue) == 0 else { throw Errno(rawValue: errno) }
    }
}

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "make-tree" where arguments.count >= 3:
    try makeTree(at: arguments[2], files: arguments.count > 3 ? Int(arguments[3]) ?? 16_000 : 16_000)
case "copy" where arguments.count >= 4:
    let concurrency = arguments.count > 4 ? Int(arguments[4]) ?? FileSystem.defaultTreeCopyConcurrency
        : FileSystem.defaultTreeCopyConcurrency
    let runtime = try URingRuntime(URingRuntime.Configuration(backend: .ioURing))
    let (source, destination) = (FilePath(arguments[2]), FilePath(arguments[3]))
    let start = ContinuousClock.now
    try runtime.run { try await FileSystem.copyTree(from: source, to: destination, maximumConcurrency: concurrency) }
    let elapsed = ContinuousClock.now - start
    runtime.shutdown()
    print(String(format: "%.4f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
default:
    FileHandle.standardError.write(Data("usage: tree-copy-bench make-tree DIR [FILES] | copy SOURCE DESTINATION [CONCURRENCY]\n".utf8))
    exit(2)
}
