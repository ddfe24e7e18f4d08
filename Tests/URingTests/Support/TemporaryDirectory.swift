// A scratch directory for tests, removed with everything in it when the value is released.

import Foundation
import SystemPackage

final class TemporaryDirectory: Sendable {
    let path: FilePath

    init() throws {
        let name = "swift-uring-test-dir-\(UInt64.random(in: 0 ... .max))"
        path = FilePath(NSTemporaryDirectory()).appending(name)
        try FileManager.default.createDirectory(atPath: path.string, withIntermediateDirectories: false)
    }

    /// `name` inside the directory.
    func appending(_ name: String) -> FilePath { path.appending(name) }

    deinit {
        try? FileManager.default.removeItem(atPath: path.string)
    }
}
