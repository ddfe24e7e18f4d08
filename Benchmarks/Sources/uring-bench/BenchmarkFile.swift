// The file every engine runs on: created and filled with non-zero data when missing or
// too small, then read once so that cached runs measure the I/O path, not the disk.
// Before each engine's turn at a write workload the file is settled: what the engine
// before it left dirty is written back and dropped from the page cache (and read back
// in for cached workloads), so no engine pays for its predecessor's writeback. Without
// it, the first engine of a round ran O_DIRECT writes while the previous workload's
// cached writes were still being flushed: 0.76x fio one round, 1.01x another.
// Before each engine's turn at a cached read workload the file is read through again:
// pages evicted since (the write file's pages compete for the page cache) would
// otherwise be faulted back in by whichever engine came first (/proc/vmstat
// workingset_refault_file counted 1,374 in one such run).

import Glibc
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
        try warm(fd, size: size)
    }

    /// Writes back and drops `path`'s cached pages; for a cached workload reads it back in.
    static func settle(_ path: FilePath, size: Int64, direct: Bool) throws {
        let fd = try FileDescriptor.open(path, .readWrite)
        defer { try? fd.close() }
        guard fsync(fd.rawValue) == 0 else { throw Errno(rawValue: errno) }
        let status = posix_fadvise(fd.rawValue, 0, 0, POSIX_FADV_DONTNEED)
        guard status == 0 else { throw Errno(rawValue: status) }
        if !direct { try warm(fd, size: size) }
    }

    /// Reads `path` through, so that every page of it is cached.
    static func rewarm(_ path: FilePath, size: Int64) throws {
        let fd = try FileDescriptor.open(path, .readOnly)
        defer { try? fd.close() }
        try warm(fd, size: size)
    }

    private static func warm(_ fd: FileDescriptor, size: Int64) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while offset < size {
            let read = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: offset, into: $0) }
            if read == 0 { break }
            offset += Int64(read)
        }
    }
}
