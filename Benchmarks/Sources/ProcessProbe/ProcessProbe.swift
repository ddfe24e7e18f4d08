// What soak-bench and shutdown-leak-check watch from outside the runtime: resident
// memory and open descriptors, read from /proc (Linux only), from any thread.

import Glibc

public enum ProcessProbe {
    /// Resident set size in bytes: the second field of /proc/self/statm (in pages).
    public static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Open descriptors of this process (those `openDescriptorTargets` lists).
    public static func openDescriptors() -> Int {
        openDescriptorTargets().count
    }

    /// What each open descriptor refers to ("anon_inode:[io_uring]", "pipe:[123]", a
    /// path, ...), by descriptor number: for a report that names what leaked.
    public static func openDescriptorTargets() -> [(descriptor: Int32, target: String)] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        let listing = dirfd(directory)
        var result: [(descriptor: Int32, target: String)] = []
        var target = [CChar](repeating: 0, count: 4096)
        while let entry = readdir(directory) {
            // Safety: d_name is read in place, up to its NUL; copying `entry.pointee` would read a
            // whole struct dirent, past the end of a short last entry in readdir's buffer.
            let namePointer = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            let name = String(cString: namePointer.assumingMemoryBound(to: CChar.self))
            guard let descriptor = Int32(name), descriptor != listing else { continue }
            let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            let text = length > 0 ? String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            result.append((descriptor, text))
        }
        closedir(directory)
        return result.sorted { $0.descriptor < $1.descriptor }
    }
}
