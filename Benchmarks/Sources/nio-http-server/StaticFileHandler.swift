// StaticFileHandler: answers one HTTP request at a time on a channel (the pipeline
// handler in front of it queues pipelined requests). GET /mem/1k is answered from
// preallocated memory and flushed once per read burst (channelReadComplete); file
// answers complete later on the loop and are flushed as they complete. Runs on the channel's event loop;
// every future it waits on completes on that loop, so NIOLoopBound holds.

import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

final class StaticFileHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let root: String
    private let fileIO: NonBlockingFileIO
    private var request: HTTPRequestHead?

    init(root: String, fileIO: NonBlockingFileIO) {
        self.root = root
        self.fileIO = fileIO
    }

    /// Responses written (not flushed) during the current read burst.
    private var needsFlush = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            if let head = request { respond(to: head, context: context) }
            request = nil
        }
    }

    /// One flush per read burst for what `channelRead` answered synchronously.
    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        if head.uri == MemoryRoute.path && (head.method == .GET || head.method == .HEAD) {
            return respondFromMemory(head, keepAlive: keepAlive, context: context)
        }
        guard head.method == .GET || head.method == .HEAD else {
            return sendError(.methodNotAllowed, keepAlive: keepAlive, context: context)
        }
        let relative: String
        switch RequestPath.relativePath(for: head.uri) {
        case .success(let path): relative = path
        case .failure(.traversal): return sendError(.forbidden, keepAlive: keepAlive, context: context)
        case .failure(.malformed): return sendError(.badRequest, keepAlive: false, context: context)
        }
        let path = relative.isEmpty ? root : root + "/" + relative
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        open(path, eventLoop: context.eventLoop).whenComplete { result in
            let (handler, context) = bound.value
            guard case .success(let (file, path, size)) = result else {
                return handler.sendError(.notFound, keepAlive: keepAlive, context: context)
            }
            let responseHead = Self.head(
                .ok, contentType: contentType(forPath: path), contentLength: size, keepAlive: keepAlive)
            if head.method == .HEAD || size == 0 {
                try? file.close()
                return handler.send(responseHead, body: nil, keepAlive: keepAlive, context: context)
            }
            handler.fileIO.read(
                fileHandle: file, fromOffset: 0, byteCount: size, allocator: context.channel.allocator,
                eventLoop: context.eventLoop
            ).whenComplete { result in
                let (handler, context) = bound.value
                try? file.close()
                switch result {
                case .success(let buffer) where buffer.readableBytes == size:
                    handler.send(responseHead, body: buffer, keepAlive: keepAlive, context: context)
                default:
                    handler.sendError(.internalServerError, keepAlive: false, context: context)
                }
            }
        }
    }

    /// GET /mem/1k: the preallocated head and body, written now and flushed at the end of
    /// the read burst (a close is flushed at once: it ends the connection).
    private func respondFromMemory(_ head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(keepAlive ? MemoryRoute.keepAliveHead : MemoryRoute.closeHead)), promise: nil)
        if head.method == .GET {
            context.write(wrapOutboundOut(.body(.byteBuffer(MemoryRoute.body))), promise: nil)
        }
        if keepAlive {
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            needsFlush = true
        } else {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }

    /// Opens the regular file at `path` (or a directory's index.html) with its size.
    private func open(_ path: String, eventLoop: any EventLoop) -> EventLoopFuture<(NIOFileHandle, String, Int)> {
        let fileIO = self.fileIO
        return fileIO.openFile(_deprecatedPath: path, eventLoop: eventLoop).flatMap { file, region in
            switch Self.fileType(file) {
            case S_IFREG:
                return eventLoop.makeSucceededFuture((file, path, region.readableBytes))
            case S_IFDIR:
                try? file.close()
                return fileIO.openFile(_deprecatedPath: path + "/index.html", eventLoop: eventLoop)
                    .flatMapThrowing { file, region in
                        guard Self.fileType(file) == S_IFREG else {
                            try? file.close()
                            throw IOError(errnoCode: ENOENT, reason: "not a regular file")
                        }
                        return (file, path + "/index.html", region.readableBytes)
                    }
            default:
                try? file.close()
                return eventLoop.makeFailedFuture(IOError(errnoCode: ENOENT, reason: "not a regular file"))
            }
        }
    }

    /// The S_IFMT bits of an open file (fstat(2) on the loop: no I/O, it reads the inode).
    private static func fileType(_ file: NIOFileHandle) -> mode_t {
        (try? file.withUnsafeFileDescriptor { descriptor in
            var status = stat()
            return fstat(descriptor, &status) == 0 ? status.st_mode & S_IFMT : 0
        }) ?? 0
    }

    static func head(_ status: HTTPResponseStatus, contentType: String, contentLength: Int, keepAlive: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Server", value: "swift-nio")
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(contentLength))
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    private func send(_ head: HTTPResponseHead, body: ByteBuffer?, keepAlive: Bool, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }

    private func sendError(_ status: HTTPResponseStatus, keepAlive: Bool, context: ChannelHandlerContext) {
        var body = context.channel.allocator.buffer(capacity: 64)
        body.writeString("\(status.code) \(status.reasonPhrase)\n")
        let head = Self.head(status, contentType: "text/plain; charset=utf-8", contentLength: body.readableBytes, keepAlive: keepAlive)
        send(head, body: body, keepAlive: keepAlive, context: context)
    }
}
