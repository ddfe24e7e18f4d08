// TCPListener.connections: the listener's connections as an AsyncSequence, fed by one
// multishot accept that stays in the kernel while the consumer iterates.
//
// The multishot accept is armed by the first `next()` and re-armed if the kernel ends
// it quietly. Stopping the iteration (break, a thrown error, task cancellation, the
// iterator released) cancels it with IORING_OP_ASYNC_CANCEL; connections that arrive
// after that are closed, never leaked. Closing the listener ends the sequence (nil).
// A transient accept error (EMFILE...) does not end it: the iterator backs off and
// re-arms (TCPListener+AcceptErrors.swift).
// Deadlines (`URingRuntime.withDeadline`) do not apply to it: cancel the task instead.

extension TCPListener {
    /// The listener's incoming connections, one multishot accept for the whole iteration.
    /// Iterate it from one task at a time; each `makeAsyncIterator()` is its own accept.
    public var connections: Connections { Connections(socket: socket, recovery: recovery) }

    /// The connections a listener accepts, as an `AsyncSequence` (`TCPListener.connections`).
    /// It ends (nil) when the listener is closed; transient accept errors such as EMFILE do
    /// not end it. Deadlines do not apply to it: cancel the iterating task instead.
    public struct Connections: AsyncSequence, Sendable {
        /// Each element is an accepted connection, owned by the consumer (close it).
        public typealias Element = TCPStream
        /// What `next()` throws: `CancellationError`, `URingError.shutdown`, or the `Errno`
        /// of a programming error (EBADF, EINVAL, ENOTSOCK, EOPNOTSUPP).
        public typealias Failure = any Error

        let socket: Socket
        let recovery: AcceptRecovery

        /// A new iterator with an accept of its own, armed by its first `next()`. Releasing the
        /// iterator (or ending the iteration) cancels that accept and closes connections that
        /// arrive after it.
        public func makeAsyncIterator() -> Iterator {
            let recovery = recovery
            let accept = MultishotAccept(descriptor: socket.descriptor, uses: socket.uses) { recovery.isClosing }
            return Iterator(accept, recovery: recovery)
        }

        /// Iterates one multishot accept. Use it from one task at a time.
        public final class Iterator: AsyncIteratorProtocol, Sendable {
            /// An accepted connection, owned by the consumer.
            public typealias Element = TCPStream
            /// What `next()` throws (see `Connections.Failure`).
            public typealias Failure = any Error

            private let accept: MultishotAccept
            private let recovery: AcceptRecovery

            init(_ accept: MultishotAccept, recovery: AcceptRecovery) {
                self.accept = accept
                self.recovery = recovery
            }

            deinit { accept.leave() }

            /// The next connection; nil once the listener is closed. Transient accept
            /// errors (EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED, EPERM...) are
            /// retried after a backoff, not thrown.
            ///
            /// - Throws: `CancellationError` (the multishot accept is cancelled),
            ///   `URingError.shutdown`, or a programming error (EBADF, EINVAL, ENOTSOCK,
            ///   EOPNOTSUPP).
            public func next() async throws -> TCPStream? {
                do {
                    while true {
                        switch try await accept.next() {
                        case .accepted(let descriptor):
                            recovery.succeeded()
                            return TCPStream(taking: descriptor)
                        case .end:
                            return nil
                        case .interrupted(let error):
                            try await recovery.backOff(after: error)
                        }
                    }
                } catch {
                    accept.leave()
                    throw error
                }
            }
        }
    }
}
