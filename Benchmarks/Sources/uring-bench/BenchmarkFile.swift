// The file every engine runs on: created and filled with non-zero data when missing or
// too small, then read once so that cached runs measure the I/O path, not the disk.

import SystemPackage

enum BenchmarkFile {
    static func prepare(_ path: FilePath, size: Int64, log: (String) -> Void) throws {
        let fd = try FileDescriptor.open(
            path, .readWrite, options: [.create], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        defer { try? fd.close() }
        let existing = try fd.seek(offset: 0, from: .end)
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        if existing < size {
            log("creating \(formatBytes(size)) test file \(path)")
            var offset = existing - existing % Int64(chunk)
            while offset < size {
                for index in stride(from: 0, to: chunk, by: 8) {
                    buffer[index] = UInt8(truncatingIfNeeded: (offset + Int64(index)) >> 12) | 1
                }
                let count = Int(min(Int64(chunk), size - offset))
                _ = try buffer[..<count].withUnsafeBytes { try fd.writeAll(toAbsoluteOffset: offset, $0) }
                offset += Int64(count)
            }
        }
        log("warming the page cache")
        var offset: Int64 = 0
        while offset < size {
            let read = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: offset, into: $0) }
            if read == 0 { break }
            offset += Int64(read)
        }
    }
}
