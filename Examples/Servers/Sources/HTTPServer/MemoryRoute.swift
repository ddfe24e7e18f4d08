// MemoryRoute: GET (or HEAD) /mem/1k answers 1 KiB from memory, for measuring the network
// path without file I/O (Benchmarks/scripts/http-bench, against the same route in
// nio-http-server). The whole response, head and body, is built once per process
// and sent from there: no allocation, no copy, one send per request. The path
// shadows a file at root/mem/1k.

enum MemoryRoute {
    static let path = "/mem/1k"
    static let bodyLength = 1024

    /// The body: the alphabet over and over (nio-http-server sends the same bytes).
    static func body() -> [UInt8] {
        (0..<bodyLength).map { UInt8(ascii: "a") + UInt8($0 % 26) }
    }

    /// One complete response (head and body) in memory that lives as long as the process.
    struct Response: @unchecked Sendable {
        // @unchecked: the memory is written once in `make` and only read (by sends) after.
        let bytes: UnsafeRawBufferPointer
        let headLength: Int

        static func make(keepAlive: Bool) -> Response {
            let head = HTTPResponseHead(
                status: .ok, contentType: "text/plain; charset=utf-8", contentLength: Int64(bodyLength),
                keepAlive: keepAlive
            ).text.utf8
            // Safety: never freed: the two responses are the process's for its lifetime.
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: head.count + bodyLength, alignment: 64)
            memory.copyBytes(from: head)
            UnsafeMutableRawBufferPointer(rebasing: memory[head.count...]).copyBytes(from: body())
            return Response(bytes: UnsafeRawBufferPointer(memory), headLength: head.count)
        }
    }

    static let keepAlive = Response.make(keepAlive: true)
    static let close = Response.make(keepAlive: false)
}
