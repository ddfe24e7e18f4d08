// HTTPResponseHead: the status line and headers the server sends, as bytes.
//
// Every response carries Server, Content-Type, Content-Length and Connection (keep-alive
// or close), nothing else but Allow on a 405: the NIO benchmark server sends the same.

enum HTTPStatus: Int, Sendable {
    case ok = 200
    case badRequest = 400
    case forbidden = 403
    case notFound = 404
    case methodNotAllowed = 405
    case payloadTooLarge = 413
    case requestHeaderFieldsTooLarge = 431
    case internalServerError = 500
    case notImplemented = 501
    case serviceUnavailable = 503
    case httpVersionNotSupported = 505

    var reason: String {
        switch self {
        case .ok: return "OK"
        case .badRequest: return "Bad Request"
        case .forbidden: return "Forbidden"
        case .notFound: return "Not Found"
        case .methodNotAllowed: return "Method Not Allowed"
        case .payloadTooLarge: return "Payload Too Large"
        case .requestHeaderFieldsTooLarge: return "Request Header Fields Too Large"
        case .internalServerError: return "Internal Server Error"
        case .notImplemented: return "Not Implemented"
        case .serviceUnavailable: return "Service Unavailable"
        case .httpVersionNotSupported: return "HTTP Version Not Supported"
        }
    }
}

struct HTTPResponseHead {
    var status: HTTPStatus
    var contentType: String
    var contentLength: Int64
    var keepAlive: Bool

    /// The head as text, ending with the blank line.
    var text: String {
        var text = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\nServer: swift-uring\r\n"
        text += "Content-Type: \(contentType)\r\nContent-Length: \(contentLength)\r\n"
        if status == .methodNotAllowed { text += "Allow: GET, HEAD\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return text
    }

    /// The Content-Type for a file name's extension.
    static func contentType(forPath path: String) -> String {
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
}
