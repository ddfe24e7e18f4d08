// HTTPRequestParser: parses one HTTP/1.x request head from the front of a byte buffer.
//
// Pure (no I/O, no state between calls): give it everything received so far; it answers
// `.incomplete` (read more), `.request(head, headLength)` (the head used headLength
// bytes; a body of head.contentLength bytes follows), or `.failure(error)` (answer with
// error.status and close). Limits: the head (request line + headers + blank line) must
// fit in `maximumHeadLength` bytes and carry at most `maximumHeaderCount` fields
// (else 431). Lines end in CRLF; obsolete line folding, malformed lines, a missing Host
// on HTTP/1.1, bad or conflicting Content-Length are 400; Transfer-Encoding is 501;
// versions other than 1.0 and 1.1 are 505.

struct HTTPRequestHead: Equatable, Sendable {
    var method: String
    /// The request-target exactly as sent (see `RequestPath` to map it to a file).
    var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int
    /// Whether the connection stays open after the response (1.1 unless
    /// `Connection: close`; 1.0 only with `Connection: keep-alive`).
    var keepAlive: Bool
    /// Body length (Content-Length, 0 without one).
    var contentLength: Int
}

/// Why a request head was refused; `status` is the response to send before closing.
enum HTTPRequestError: Error, Equatable, Sendable {
    case badRequest(String)
    case headTooLarge
    case transferEncodingNotImplemented
    case versionNotSupported

    var status: HTTPStatus {
        switch self {
        case .badRequest: return .badRequest
        case .headTooLarge: return .requestHeaderFieldsTooLarge
        case .transferEncodingNotImplemented: return .notImplemented
        case .versionNotSupported: return .httpVersionNotSupported
        }
    }
}

enum HTTPParseResult: Equatable, Sendable {
    case incomplete
    case request(HTTPRequestHead, headLength: Int)
    case failure(HTTPRequestError)
}

struct HTTPRequestParser: Sendable {
    var maximumHeadLength = 8 * 1024
    var maximumHeaderCount = 64

    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), colon = UInt8(ascii: ":")

    /// Parses the request head at the start of `bytes`.
    func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        guard let end = Self.headEnd(in: bytes, limit: maximumHeadLength) else {
            return bytes.count >= maximumHeadLength ? .failure(.headTooLarge) : .incomplete
        }
        do {
            return .request(try parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<end])), headLength: end + 4)
        } catch {
            return .failure(error)
        }
    }

    /// The offset of the CRLFCRLF that ends the head, if it starts within `limit - 4`.
    private static func headEnd(in bytes: UnsafeRawBufferPointer, limit: Int) -> Int? {
        let count = min(bytes.count, limit)
        var index = 0
        while index + 3 < count {
            if bytes[index + 3] != lf {
                index += 1
                continue
            }
            if bytes[index] == cr && bytes[index + 1] == lf && bytes[index + 2] == cr { return index }
            index += 1
        }
        return nil
    }

    /// Parses the head without its final CRLFCRLF.
    private func parseHead(_ head: UnsafeRawBufferPointer) throws(HTTPRequestError) -> HTTPRequestHead {
        var lines = Self.lines(of: head)[...]
        guard let requestLine = lines.popFirst() else { throw .badRequest("empty request") }
        var request = try Self.parseRequestLine(requestLine)
        guard lines.count <= maximumHeaderCount else { throw .headTooLarge }

        var sawHost = false
        var contentLength: Int?
        var connectionClose = false, connectionKeepAlive = false
        for line in lines {
            guard let first = line.first, first != Self.space, first != Self.tab else {
                throw .badRequest("empty header line or obsolete line folding")
            }
            guard let colon = line.firstIndex(of: Self.colon), colon > line.startIndex else {
                throw .badRequest("header line without a name")
            }
            let name = line[..<colon]
            guard name.allSatisfy(Self.isTokenCharacter) else { throw .badRequest("invalid header name") }
            let value = Self.trimmed(line[line.index(after: colon)...])
            guard value.allSatisfy({ $0 == Self.tab || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw .badRequest("control character in a header value")
            }
            switch Self.lowercased(name) {
            case "host":
                if sawHost { throw .badRequest("more than one Host") }
                sawHost = true
            case "content-length":
                guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw .badRequest("invalid Content-Length")
                }
                let length = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                if let contentLength, contentLength != length { throw .badRequest("conflicting Content-Length") }
                contentLength = length
            case "transfer-encoding":
                throw .transferEncodingNotImplemented
            case "connection":
                for option in Self.lowercased(value).split(separator: ",") {
                    switch option.trimmingCharacters(in: " \t") {
                    case "close": connectionClose = true
                    case "keep-alive": connectionKeepAlive = true
                    default: break
                    }
                }
            default:
                break
            }
        }
        if request.minorVersion == 1 && !sawHost { throw .badRequest("HTTP/1.1 request without Host") }
        request.contentLength = contentLength ?? 0
        request.keepAlive = !connectionClose && (request.minorVersion == 1 || connectionKeepAlive)
        return request
    }

    /// "METHOD SP request-target SP HTTP/1.x"
    private static func parseRequestLine(_ line: Slice<UnsafeRawBufferPointer>) throws(HTTPRequestError) -> HTTPRequestHead {
        let parts = line.split(separator: space, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .badRequest("request line is not METHOD TARGET VERSION") }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(isTokenCharacter) else { throw .badRequest("invalid method") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badRequest("invalid request target")
        }
        let minorVersion: Int
        switch String(decoding: version, as: UTF8.self) {
        case "HTTP/1.1": minorVersion = 1
        case "HTTP/1.0": minorVersion = 0
        case let other where other.hasPrefix("HTTP/") && other.count == 8: throw .versionNotSupported
        default: throw .badRequest("invalid HTTP version")
        }
        return HTTPRequestHead(
            method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            minorVersion: minorVersion, keepAlive: false, contentLength: 0)
    }

    /// The head split at CRLF (a bare CR or LF stays inside a line and fails validation).
    private static func lines(of head: UnsafeRawBufferPointer) -> [Slice<UnsafeRawBufferPointer>] {
        var lines: [Slice<UnsafeRawBufferPointer>] = []
        var start = 0, index = 0
        while index + 1 < head.count {
            if head[index] == cr && head[index + 1] == lf {
                lines.append(head[start..<index])
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        lines.append(head[start..<head.count])
        return lines
    }

    /// RFC 9110 tchar.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var slice = bytes
        while let first = slice.first, first == space || first == tab { slice = slice.dropFirst() }
        while let last = slice.last, last == space || last == tab { slice = slice.dropLast() }
        return slice
    }

    private static func lowercased(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        String(decoding: bytes.lazy.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

extension Substring {
    /// The substring without leading and trailing characters from `set`.
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return slice
    }
}
