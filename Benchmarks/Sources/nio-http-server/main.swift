// nio-http-server: the SwiftNIO counterpart of Examples/Servers/Sources/HTTPServer, for the HTTP
// benchmark (Benchmarks/scripts/http-bench). Same file-serving semantics: GET/HEAD
// only (405 with Allow otherwise), ".." after percent-decoding is 403, a missing file
// 404, a directory serves its index.html, the file is opened and read on every request
// (NonBlockingFileIO, no sendfile, no cache), keep-alive unless `Connection: close`
// (or HTTP/1.0 without keep-alive), and the same response headers: Server, Content-Type,
// Content-Length, Connection. GET /mem/1k answers 1 KiB from memory as HTTPServer does,
// tuned as an expert would tune a NIO hello server: head and body preallocated, written
// without a flush, one flush per read burst (StaticFileHandler.channelReadComplete).
// Unlike HTTPServer it opens files with plain open(2), wherever symbolic links lead
// (HTTPServer's openat2 beneath the root is its cost, not NIO's).
//
//   nio-http-server --root DIR [--port N] [--host 127.0.0.1]
//
// Threads: MultiThreadedEventLoopGroup.singleton (one loop per core) for sockets and
// NIOThreadPool.singleton (one thread per core) for the blocking open/fstat and pread.
// Request parsing is NIOHTTP1's (llhttp), with its own limits. It stops on SIGINT or
// SIGTERM (default signal action); the benchmark does not need a graceful stop.

import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var root = ""
    var host = "127.0.0.1"
    var port = 8080

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        func fail(_ message: String) -> Never {
            print("nio-http-server: \(message)\nusage: nio-http-server --root DIR [--port N] [--host 127.0.0.1]")
            exit(2)
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--root":
                guard let root = rest.popFirst() else { fail("--root needs a directory") }
                options.root = root
            case "--host":
                guard let host = rest.popFirst() else { fail("--host needs an address") }
                options.host = host
            case "--port":
                guard let port = rest.popFirst().flatMap(Int.init), (0...65_535).contains(port) else {
                    fail("--port needs a number in 0...65535")
                }
                options.port = port
            default: fail("unknown argument \(flag)")
            }
        }
        if options.root.isEmpty { fail("--root is required") }
        while options.root.count > 1 && options.root.hasSuffix("/") { options.root.removeLast() }
        return options
    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let fileIO = NonBlockingFileIO(threadPool: .singleton)
let root = options.root

let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(StaticFileHandler(root: root, fileIO: fileIO))
        }
    }
    .bind(host: options.host, port: options.port)
    .wait()

// Unbuffered, so that a script reading the log sees the port at once.
let ready = "nio-http-server: serving \(options.root) on http://\(options.host):\(channel.localAddress?.port ?? 0)/\n"
_ = ready.withCString { write(1, $0, strlen($0)) }
try channel.closeFuture.wait()
