// ParserSelfTest: checks of HTTPRequestParser and RequestPath with no sockets, run by
// `HTTPServer --self-test` (scripts/examples-check runs it; a test target cannot import
// an executable). Prints each failure; returns the exit status.

import ExampleSupport

enum ParserSelfTest {
    static func run() -> Int32 {
        var failures = 0
        func check(_ name: String, _ condition: Bool) {
            if !condition {
                failures += 1
                say("self-test FAILED: \(name)")
            }
        }
        func parse(_ text: String, _ parser: HTTPRequestParser = HTTPRequestParser()) -> HTTPParseResult {
            Array(text.utf8).withUnsafeBytes { parser.parse($0) }
        }
        func refusal(_ target: String) -> RequestPath.Refusal? {
            do {
                _ = try RequestPath.relativePath(for: target)
                return nil
            } catch {
                return error
            }
        }
        func head(_ text: String) -> HTTPRequestHead? {
            if case .request(let head, _) = parse(text) { return head }
            return nil
        }

        let get = "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
        check("a complete GET parses with its length", parse(get) == .request(
            HTTPRequestHead(method: "GET", target: "/a.txt", minorVersion: 1, keepAlive: true, contentLength: 0),
            headLength: get.utf8.count))
        check("a head without its blank line is incomplete", parse("GET / HTTP/1.1\r\nHost: x\r\n") == .incomplete)
        check("bytes after the head are not consumed", {
            if case .request(_, let length) = parse(get + "GET / HTT") { return length == get.utf8.count }
            return false
        }())
        check("Connection: close ends keep-alive", head("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n")?.keepAlive == false)
        check("HTTP/1.0 closes by default", head("GET / HTTP/1.0\r\n\r\n")?.keepAlive == false)
        check("HTTP/1.0 keep-alive stays open", head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")?.keepAlive == true)
        check("Content-Length is read", head("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n")?.contentLength == 12)
        check("conflicting Content-Length is 400", {
            if case .failure(.badRequest) = parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") { return true }
            return false
        }())
        check("Transfer-Encoding is 501", parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == .failure(.transferEncodingNotImplemented))
        check("HTTP/1.1 without Host is 400", {
            if case .failure(.badRequest) = parse("GET / HTTP/1.1\r\n\r\n") { return true }
            return false
        }())
        check("HTTP/2.0 is 505", parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n") == .failure(.versionNotSupported))
        for bad in ["GET /\r\n\r\n", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
                    "GET / HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n", "GET / FTP/1.1\r\nHost: x\r\n\r\n"] {
            check("malformed \(bad.debugDescription) is 400", {
                if case .failure(.badRequest) = parse(bad) { return true }
                return false
            }())
        }
        let small = HTTPRequestParser(maximumHeadLength: 64, maximumHeaderCount: 2)
        check("a head over the size cap is 431", parse("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 80), small) == .failure(.headTooLarge))
        check("a finished head over the size cap is 431", parse("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 80) + "\r\n\r\n", small) == .failure(.headTooLarge))
        check("too many header fields is 431", parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", small) == .failure(.headTooLarge))

        check("a plain path maps to itself", (try? RequestPath.relativePath(for: "/dir/a.txt?x=1#f")) == "dir/a.txt")
        check("the root maps to the empty path", (try? RequestPath.relativePath(for: "/")) == "")
        check("percent-escapes are decoded", (try? RequestPath.relativePath(for: "/a%20b")) == "a b")
        for traversal in ["/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/a/..%2f..%2fb"] {
            check("\(traversal) is refused as traversal", refusal(traversal) == .traversal)
        }
        for malformed in ["a.txt", "/a%zz", "/a%00b", "/a%2"] {
            check("\(malformed) is malformed", refusal(malformed) == .malformed)
        }
        say(failures == 0 ? "HTTPServer self-test: all checks passed" : "HTTPServer self-test: \(failures) failure(s)")
        return failures == 0 ? 0 : 1
    }
}
