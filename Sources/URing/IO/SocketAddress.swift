// SocketAddress: an IPv4, IPv6 or Unix-domain address as a plain Swift value.
//
// Parsing (`init(ipAddress:port:)`, `init(unixPath:)`) checks everything the kernel
// would reject later and throws `URingError.invalidArgument` instead; no name lookup
// is done (literal addresses only). The C `sockaddr_*` forms are produced on demand
// (`withSockAddr`, `write(into:)`) and read back from kernel-filled storage
// (`init(storage:length:)`), so nothing here holds memory the kernel touches.

import Glibc

/// The address of a socket: IPv4 or IPv6 address and port, or a Unix-domain path.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// An IPv4 address and port (AF_INET).
        case ipv4
        /// An IPv6 address, port and scope (AF_INET6).
        case ipv6
        /// A Unix-domain socket path (AF_UNIX).
        case unix
    }

    struct IPv6Bytes: Hashable, Sendable {
        var high: UInt64
        var low: UInt64
    }

    enum Storage: Hashable, Sendable {
        /// `address` and `port` in network byte order, as in `sockaddr_in`.
        case ipv4(address: UInt32, port: UInt16)
        /// `address` (raw bytes) and `port` in network byte order, as in `sockaddr_in6`.
        case ipv6(address: IPv6Bytes, port: UInt16, scopeID: UInt32)
        /// A path; empty for an unnamed socket (a connecting client's, a socketpair's).
        case unix(path: String)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    /// Parses a literal IPv4 ("127.0.0.1") or IPv6 ("::1", "[::1]") address.
    ///
    /// - Throws: `URingError.invalidArgument` for text that is neither (or contains a
    ///   NUL byte), or a port outside 0...65535 (0 lets the kernel pick one when binding).
    public init(ipAddress: String, port: Int) throws(URingError) {
        guard (0...65_535).contains(port) else {
            throw URingError.invalidArgument("port must be 0...65535, got \(port)")
        }
        // inet_pton would read only up to a NUL and accept "127.0.0.1\0anything".
        guard !ipAddress.utf8.contains(0) else {
            throw URingError.invalidArgument("the IP address text contains a NUL byte")
        }
        let networkPort = UInt16(port).bigEndian
        var text = ipAddress
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            storage = .ipv4(address: v4.s_addr, port: networkPort)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            storage = .ipv6(address: Self.bytes(of: v6), port: networkPort, scopeID: 0)
            return
        }
        throw URingError.invalidArgument("\"\(ipAddress)\" is not a literal IPv4 or IPv6 address")
    }

    /// A Unix-domain socket path.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path, one with a NUL byte, or
    ///   one longer than `sun_path` holds (107 bytes).
    public init(unixPath path: String) throws(URingError) {
        guard !path.isEmpty else { throw URingError.invalidArgument("the Unix socket path is empty") }
        guard !path.utf8.contains(0) else { throw URingError.invalidArgument("the Unix socket path contains a NUL byte") }
        guard path.utf8.count < Self.unixPathCapacity else {
            throw URingError.invalidArgument(
                "the Unix socket path is \(path.utf8.count) bytes; at most \(Self.unixPathCapacity - 1) fit")
        }
        storage = .unix(path: path)
    }

    /// 127.0.0.1 at `port` (0: the kernel picks one when binding). A port outside
    /// 0...65535 is clamped into it, not reported: use `init(ipAddress:port:)` for a port
    /// that comes from input (it throws `URingError.invalidArgument`).
    public static func ipv4Loopback(port: Int = 0) -> SocketAddress {
        SocketAddress(storage: .ipv4(address: UInt32(INADDR_LOOPBACK).bigEndian, port: UInt16(clamping: port).bigEndian))
    }

    /// ::1 at `port` (0: the kernel picks one when binding); the port is clamped like
    /// `ipv4Loopback`'s.
    public static func ipv6Loopback(port: Int = 0) -> SocketAddress {
        SocketAddress(storage: .ipv6(address: IPv6Bytes(high: 0, low: UInt64(1).bigEndian), port: UInt16(clamping: port).bigEndian, scopeID: 0))
    }

    /// Whether this is an IPv4, IPv6 or Unix-domain address.
    public var family: Family {
        switch storage {
        case .ipv4: return .ipv4
        case .ipv6: return .ipv6
        case .unix: return .unix
        }
    }

    /// The port of an IP address; nil for a Unix path.
    public var port: Int? {
        switch storage {
        case .ipv4(_, let port), .ipv6(_, let port, _): return Int(UInt16(bigEndian: port))
        case .unix: return nil
        }
    }

    /// The IP address as text ("127.0.0.1", "::1"); nil for a Unix path.
    public var ipAddress: String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch storage {
        case .ipv4(let address, _):
            var raw = in_addr(s_addr: address)
            guard inet_ntop(AF_INET, &raw, &text, socklen_t(text.count)) != nil else { return nil }
        case .ipv6(let address, _, _):
            var raw = Self.in6(address)
            guard inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil else { return nil }
        case .unix:
            return nil
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The path of a Unix-domain address (empty for an unnamed socket); nil for IP.
    public var unixPath: String? {
        if case .unix(let path) = storage { return path }
        return nil
    }

    /// "127.0.0.1:8080", "[::1]:8080" or "unix:/path".
    public var description: String {
        switch storage {
        case .ipv4: return "\(ipAddress ?? "?"):\(port ?? 0)"
        case .ipv6: return "[\(ipAddress ?? "?")]:\(port ?? 0)"
        case .unix(let path): return "unix:\(path)"
        }
    }

    // MARK: The C forms

    static let unixPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// The AF_* constant socket(2) wants for this address.
    var domain: Int32 {
        switch storage {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        case .unix: return AF_UNIX
        }
    }

    /// Writes the `sockaddr_*` form into `target`; returns its length.
    func write(into target: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        // Safety: sockaddr_storage is large and aligned enough for every sockaddr_* type,
        // and each branch writes only the type it rebinds to.
        let raw = UnsafeMutableRawPointer(target)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<sockaddr_storage>.size)
        switch storage {
        case .ipv4(let address, let port):
            var value = sockaddr_in()
            value.sin_family = sa_family_t(AF_INET)
            value.sin_port = port
            value.sin_addr = in_addr(s_addr: address)
            raw.storeBytes(of: value, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6(let address, let port, let scopeID):
            var value = sockaddr_in6()
            value.sin6_family = sa_family_t(AF_INET6)
            value.sin6_port = port
            value.sin6_addr = Self.in6(address)
            value.sin6_scope_id = scopeID
            raw.storeBytes(of: value, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        case .unix(let path):
            var value = sockaddr_un()
            value.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &value.sun_path) { bytes in
                bytes.copyBytes(from: path.utf8.prefix(Self.unixPathCapacity - 1))
            }
            raw.storeBytes(of: value, as: sockaddr_un.self)
            return socklen_t(MemoryLayout<sa_family_t>.size + path.utf8.count + 1)
        }
    }

    /// Calls `body` with the `sockaddr_*` form (valid only inside `body`).
    func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result) rethrows -> Result {
        var target = sockaddr_storage()
        let length = write(into: &target)
        // Safety: `target` outlives `body`; every sockaddr_* starts with the sockaddr header.
        return try withUnsafePointer(to: &target) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    /// Reads a kernel-filled address; nil for a family this type does not model.
    init?(storage source: UnsafePointer<sockaddr_storage>, length: socklen_t) {
        // Safety: the kernel wrote a sockaddr of `ss_family`'s type into `source`; each
        // branch reads only that type, which fits in sockaddr_storage.
        let raw = UnsafeRawPointer(source)
        switch Int32(source.pointee.ss_family) {
        case AF_INET:
            let value = raw.load(as: sockaddr_in.self)
            storage = .ipv4(address: value.sin_addr.s_addr, port: value.sin_port)
        case AF_INET6:
            let value = raw.load(as: sockaddr_in6.self)
            storage = .ipv6(address: Self.bytes(of: value.sin6_addr), port: value.sin6_port, scopeID: value.sin6_scope_id)
        case AF_UNIX:
            let pathLength = max(0, Int(length) - MemoryLayout<sa_family_t>.size)
            let pathStart = raw + MemoryLayout<sa_family_t>.size
            let bytes = UnsafeRawBufferPointer(start: pathStart, count: min(pathLength, Self.unixPathCapacity))
            storage = .unix(path: String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        default:
            return nil
        }
    }

    private static func bytes(of address: in6_addr) -> IPv6Bytes {
        withUnsafeBytes(of: address) { raw in
            IPv6Bytes(high: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                      low: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    private static func in6(_ bytes: IPv6Bytes) -> in6_addr {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            raw.storeBytes(of: bytes.high, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: bytes.low, toByteOffset: 8, as: UInt64.self)
        }
        return address
    }
}
