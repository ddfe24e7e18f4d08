// TCPListener.connections: the listener's connections as an AsyncSequence, fed by one
// multishot accept that stays in the kernel while the consumer iterates.
//
// The multishot accept is armed by the first `next()` and re-armed if the kernel ends
// it quietly. Stopping the iteration (break, a thrown error, task cancellation, the
// iterator released) cancels it with IORING_OP_ASYNC_CANCEL; connections that arrive
// after that are closed, never leaked. Closing the listener ends the sequence (nil).
// Deadlines (`URingRuntime.withDeadline`) do not apply to it: cancel the task instead.

extension TCPListener {
    /// The listener's incoming connections, one multishot accept for the whole iteration.
    /// Iterate it from one task at a time; each `makeAsyncIterator()` is its own accept.
    public var connections: Connections { Connections(socket: socket) }

    public struct Connections: AsyncSequence, Sendable {
        public typealias Element = TCPStream
        public typealias Failure = any Error

        let socket: Socket

        public func makeAsyncIterator() -> Iterator { Iterator(MultishotAccept(descriptor: socket.descriptor, uses: socket.uses)) }

        public final class Iterator: AsyncIteratorProtocol, Sendable {
            public typealias Element = TCPStream
            public typealias Failure = any Error

            private let accept: MultishotAccept

            init(_ accept: MultishotAccept) { self.accept = accept }

            deinit { accept.leave() }

            /// The next connection; nil once the listener is closed.
            ///
            /// - Throws: `CancellationError` (the multishot accept is cancelled),
            ///   `URingError.shutdown`, or the kernel's error.
            public func next() async throws -> TCPStream? {
                do {
                    guard let descriptor = try await accept.next() else { return nil }
                    return TCPStream(taking: descriptor)
                } catch {
                    accept.leave()
                    throw error
                }
            }
        }
    }
}
