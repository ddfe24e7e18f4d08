// RequestPath, contentType and MemoryRoute: the same rules as Examples/Servers/Sources/HTTPServer's
// (RequestPath.swift, HTTPResponseHead.swift, MemoryRoute.swift), repeated here so that
// the two servers refuse, label and answer identically. Query and fragment dropped, percent-escapes decoded (bad escape or
// NUL: malformed), empty and "." segments dropped, any ".." segment: traversal.

import NIOCore
import NIOHTTP1

enum RequestPath {
    enum Refusal: Error, Equatable {
        case malformed
        case traversal
    }

    static func relativePath(for target: String) -> Result<String, Refusal> {
        guard target.utf8.first == UInt8(ascii: "/") else { return .failure(.malformed) }
        let path = Array(target.utf8.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") })
        guard let decoded = percentDecoded(path) else { return .failure(.malformed) }
        var segments: [Substring] = []
        for segment in String(decoding: decoded, as: UTF8.self).split(separator: "/") where segment != "." {
            if segment == ".." { return .failure(.traversal) }
            segments.append(segment)
        }
        return .success(segments.joined(separator: "/"))
    }

    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]),
                    high << 4 | low != 0
                else { return nil }
                result.append(high << 4 | low)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// The Content-Type for a file name's extension (as Examples/Servers/Sources/HTTPServer).
func contentType(forPath path: String) -> String {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "application/octet-stream" }
    switch path[path.index(after: dot)...].lowercased() {
    case "html", "htm": return "text/html; charset=utf-8"
    case "txt": return "text/plain; charset=utf-8"
    case "css": return "text/css"
    case "js": return "text/javascript"
    case "json": return "application/json"
    case "png": return "image/png"
    case "jpg", "jpeg": return "image/jpeg"
    case "svg": return "image/svg+xml"
    default: return "application/octet-stream"
    }
}

/// GET /mem/1k: 1 KiB from memory, as Examples/Servers/Sources/HTTPServer's MemoryRoute (the same head
/// fields and body bytes), preallocated once.
enum MemoryRoute {
    static let path = "/mem/1k"
    static let body = ByteBuffer(bytes: (0..<1024).map { UInt8(ascii: "a") + UInt8($0 % 26) })
    static let keepAliveHead = StaticFileHandler.head(
        .ok, contentType: "text/plain; charset=utf-8", contentLength: 1024, keepAlive: true)
    static let closeHead = StaticFileHandler.head(
        .ok, contentType: "text/plain; charset=utf-8", contentLength: 1024, keepAlive: false)
}
