// A scratch file for tests, removed when the value is released.

import Foundation
import SystemPackage

final class TemporaryFile: Sendable {
    let path: FilePath
    let descriptor: FileDescriptor

    init(contents: [UInt8] = []) throws {
        let name = "swift-uring-test-\(UInt64.random(in: 0 ... .max))"
        path = FilePath(NSTemporaryDirectory()).appending(name)
        descriptor = try FileDescriptor.open(
            path, .readWrite, options: [.create, .exclusiveCreate], permissions: [.ownerReadWrite])
        if !contents.isEmpty {
            _ = try descriptor.writeAll(toAbsoluteOffset: 0, contents)
        }
    }

    func contents() throws -> [UInt8] {
        let size = try descriptor.seek(offset: 0, from: .end)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let count = try bytes.withUnsafeMutableBytes { try descriptor.read(fromAbsoluteOffset: 0, into: $0) }
        return Array(bytes[..<count])
    }

    deinit {
        try? descriptor.close()
        _ = unlink(path.string)
    }
}
