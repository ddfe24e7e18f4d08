import Testing
import URing

@Suite("Socket addresses")
struct SocketAddressesParseAndRoundTrip {
    @Test("literal IPv4 and IPv6 addresses parse and print back")
    func parsesLiterals() throws {
        let v4 = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        #expect(v4.family == .ipv4 && v4.port == 8080 && v4.ipAddress == "127.0.0.1")
        #expect(v4.description == "127.0.0.1:8080")
        #expect(v4 == .ipv4Loopback(port: 8080))
        let v6 = try SocketAddress(ipAddress: "::1", port: 443)
        #expect(v6.family == .ipv6 && v6.port == 443 && v6.ipAddress == "::1")
        #expect(v6.description == "[::1]:443")
        #expect(v6 == .ipv6Loopback(port: 443))
        #expect(try SocketAddress(ipAddress: "[::1]", port: 443) == v6)
        #expect(try SocketAddress(ipAddress: "fe80::1:2", port: 1).ipAddress == "fe80::1:2")
    }

    @Test("bad hosts, ports and Unix paths are invalidArgument, before any socket exists")
    func rejectsBadInput() {
        for host in ["", "localhost", "127.0.0.256", "1.2.3", "::g", "[::1"] {
            #expect(throws: URingError.self) { try SocketAddress(ipAddress: host, port: 1) }
        }
        for port in [-1, 65_536] {
            #expect(throws: URingError.self) { try SocketAddress(ipAddress: "127.0.0.1", port: port) }
        }
        #expect(throws: URingError.self) { try SocketAddress(unixPath: "") }
        #expect(throws: URingError.self) { try SocketAddress(unixPath: "/tmp/a\0b") }
        #expect(throws: URingError.self) { try SocketAddress(unixPath: "/" + String(repeating: "x", count: 107)) }
        #expect(throws: Never.self) { try SocketAddress(unixPath: "/" + String(repeating: "x", count: 106)) }
    }

    @Test("a Unix path address keeps its path")
    func unixPath() throws {
        let address = try SocketAddress(unixPath: "/tmp/some.sock")
        #expect(address.family == .unix && address.unixPath == "/tmp/some.sock" && address.port == nil)
        #expect(address.description == "unix:/tmp/some.sock")
    }
}
