// A TCPStream's inbound bytes as an AsyncSequence of chunks.
//
// Each `next()` is one `receive`: on a runtime worker that is the stream's multishot
// receive into the worker ring's provided buffers (StreamReceiver), whose queue stops
// reading ahead at 64 KiB, after which the socket buffer and TCP flow control hold the
// sender back; so a consumer that stops iterating is back-pressure. A chunk holds what
// had arrived when it was asked for (at most `maximumChunkSize` bytes), copied out of the
// pool's buffers, which go straight back to the pool. The sequence ends (nil) at end of
// stream; the stream stays the caller's to close.

extension TCPStream {
    /// The largest chunk `inboundChunks` hands out unless told otherwise: 64 KiB.
    public static let defaultInboundChunkSize = 64 * 1024

    /// The bytes arriving on this stream as an AsyncSequence of chunks, each holding what
    /// had arrived when it was asked for, at most `maximumChunkSize` bytes; the sequence
    /// ends at end of stream (the peer shut its sending side down).
    ///
    /// On a runtime worker the bytes come from the stream's multishot receive into the
    /// worker ring's provided-buffer pool; at most 64 KiB is read ahead of the consumer,
    /// then TCP flow control holds the sender back until the iteration goes on. Iterate
    /// from one task at a time. Closing the stream is yours to do.
    ///
    /// - Throws: `URingError.invalidArgument` for a `maximumChunkSize` below 1 or above
    ///   64 MiB. From `next()`: what `receive(into:)` throws (`Errno.connectionReset`,
    ///   `URingError.closed`, ...), `CancellationError`.
    public func inboundChunks(maximumChunkSize: Int = TCPStream.defaultInboundChunkSize) throws -> InboundChunks {
        guard maximumChunkSize >= 1 && maximumChunkSize <= TCPStream.largestReceive else {
            throw URingError.invalidArgument(
                "maximumChunkSize must lie in 1...\(TCPStream.largestReceive), got \(maximumChunkSize)")
        }
        return InboundChunks(stream: self, maximumChunkSize: maximumChunkSize)
    }
}

/// A stream's inbound bytes as chunks (`TCPStream.inboundChunks(maximumChunkSize:)`).
public struct InboundChunks: AsyncSequence, Sendable {
    /// Each element is the bytes one receive brought, at most `maximumChunkSize`.
    public typealias Element = [UInt8]

    let stream: TCPStream
    let maximumChunkSize: Int

    /// A new iterator over the stream's next bytes (iterators share the one stream).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: stream, maximumChunkSize: maximumChunkSize)
    }

    /// Receives one chunk per `next()`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: TCPStream
        let maximumChunkSize: Int
        private var finished = false

        init(stream: TCPStream, maximumChunkSize: Int) {
            self.stream = stream
            self.maximumChunkSize = maximumChunkSize
        }

        /// The next chunk, or nil at end of stream.
        public mutating func next() async throws -> [UInt8]? {
            if finished { return nil }
            let chunk: [UInt8]
            do {
                chunk = try await stream.receive(maxCount: maximumChunkSize)
            } catch {
                finished = true
                throw error
            }
            if chunk.isEmpty {
                finished = true
                return nil
            }
            return chunk
        }
    }
}
