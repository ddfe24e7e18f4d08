// Counting this process's socket descriptors that belong to one TCP port, so a leak
// check stays exact while other tests open sockets in parallel: /proc/net/tcp{,6} maps
// ports to socket inodes, and /proc/self/fd entries read "socket:[inode]".

import Foundation
import Glibc
import URing

/// Descriptors of this process on TCP sockets whose local or remote port is `port`
/// (the listener, its accepted connections, and clients connected to it).
func openSocketCount(onPort port: Int) -> Int {
    var inodes = Set<String>()
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let text = try? readProcFile(table) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9 else { continue }
            let ports = [fields[1], fields[2]].compactMap { $0.split(separator: ":").last.flatMap { Int($0, radix: 16) } }
            if ports.contains(port) { inodes.insert(String(fields[9])) }
        }
    }
    return openDescriptorTargets().filter { target in
        target.hasPrefix("socket:[") && inodes.contains(String(target.dropFirst(8).dropLast()))
    }.count
}

/// The whole text of a /proc file (whose stat size is 0), read until EOF.
func readProcFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Errno(rawValue: errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count < 0 { throw Errno(rawValue: errno) }
        if count == 0 { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Sets SO_LINGER to 0 on `descriptor`: closing it then resets the connection (RST).
func setResetOnClose(_ descriptor: FileDescriptor) throws {
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    guard setsockopt(descriptor.rawValue, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size)) == 0 else {
        throw Errno(rawValue: errno)
    }
}

/// Random bytes for payloads whose exact contents a test checks.
func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < raw.count {
            let word = generator.next()
            withUnsafeBytes(of: word) { wordBytes in
                let take = min(8, raw.count - offset)
                raw.baseAddress!.advanced(by: offset).copyMemory(from: wordBytes.baseAddress!, byteCount: take)
                offset += take
            }
        }
    }
    return bytes
}
