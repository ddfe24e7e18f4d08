// RequestPath: maps an origin-form request-target ("/a/b.txt?q") to a path relative to
// the served root, or refuses it.
//
// The query and fragment are dropped, percent-escapes decoded (a bad escape or a NUL is
// 400), then the path is split at "/": empty and "." segments are dropped, and any ".."
// segment is 403 (decoding comes first, so "%2e%2e" and "..%2f" are caught too).
// Symbolic links are ServedRoot's business: by default one pointing out of the root is 403.

enum RequestPath {
    enum Refusal: Error, Equatable {
        /// Not origin-form, a bad percent-escape, or a NUL byte: 400.
        case malformed
        /// A ".." segment: 403.
        case traversal
    }

    /// The relative path ("" for the root itself) with segments joined by "/".
    static func relativePath(for target: String) throws(Refusal) -> String {
        guard target.utf8.first == UInt8(ascii: "/") else { throw .malformed }
        let path = target.utf8.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        let decoded = try percentDecoded(Array(path))
        var segments: [Substring] = []
        for segment in String(decoding: decoded, as: UTF8.self).split(separator: "/") where segment != "." {
            if segment == ".." { throw .traversal }
            segments.append(segment)
        }
        return segments.joined(separator: "/")
    }

    private static func percentDecoded(_ bytes: [UInt8]) throws(Refusal) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw .malformed
                }
                let byte = high << 4 | low
                if byte == 0 { throw .malformed }
                result.append(byte)
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
