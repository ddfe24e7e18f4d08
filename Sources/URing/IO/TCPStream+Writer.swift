// A TCPStream's outbound side as a batching writer (`withWriter`).
//
// Writers copy their bytes into a pending buffer and return at once while it holds
// less than `highWater` bytes; past that they wait (back-pressure). One sender task (a
// child task of `withWriter`, so it runs on the caller's executor) takes everything
// pending in one swap and sends it with one SEND (looping over short sends), so many
// small writes made while a send is in the kernel leave as one. Two buffers trade places
// under the lock: the writers' (`pending`) and the sender's (`sending`), so no byte is
// copied twice and the steady state allocates nothing.
//
// Threads: writers and the sender meet in `state` (a ThreadLock); every continuation is
// resumed after unlocking, exactly once (by the event it waits for, or by its task's
// cancellation, whichever takes it from the state first). The first send error is kept:
// later writes and flushes throw it, and `withWriter` rethrows it.

import URingExecutor

extension TCPStream {
    /// How many bytes a `TCPStreamWriter` holds before its writers wait: 256 KiB.
    public static let defaultWriterHighWater = 256 * 1024

    /// Runs `body` with a writer that batches what it is given into few sends, then sends
    /// whatever is still pending and returns what `body` returned.
    ///
    /// `writer.write(_:)` copies the bytes and returns while fewer than `highWater` bytes
    /// wait to be sent; past that it waits until the sender catches up (back-pressure).
    /// Bytes written while a send is in the kernel go out together in the next one.
    /// `writer.flush()` waits until everything written so far was sent. The stream stays
    /// open; close it yourself.
    ///
    /// - Throws: `URingError.invalidArgument` for a `highWater` below 1; what `body`
    ///   throws (what was pending is then dropped); the first send error (`Errno.brokenPipe`,
    ///   `Errno.connectionReset`, `URingError.closed`, ...), also from `write` and `flush`
    ///   once it happened.
    public func withWriter<Result>(
        highWater: Int = TCPStream.defaultWriterHighWater, _ body: (TCPStreamWriter) async throws -> Result
    ) async throws -> Result {
        guard highWater >= 1 else { throw URingError.invalidArgument("highWater must be at least 1, got \(highWater)") }
        let writer = TCPStreamWriter(stream: self, highWater: highWater)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.runSender() }
            let result: Result
            do {
                result = try await body(writer)
            } catch {
                writer.stop(with: error)
                group.cancelAll()
                throw error
            }
            writer.finish()
            try await group.next()
            return result
        }
    }
}

/// Batches writes to one TCPStream into few sends (`TCPStream.withWriter`).
public final class TCPStreamWriter: @unchecked Sendable {
    // @unchecked: every mutable field lives in `state`, behind its lock; the buffers'
    // bytes are owned by whoever holds them in the state (writers: `pending`, under the
    // lock; the sender: `sending`, between swaps).

    /// What a writer has done so far.
    public struct Statistics: Sendable, Hashable {
        /// Calls to `write`.
        public var writes = 0
        /// Batches handed to the kernel (each one SEND, plus more for short sends).
        public var sends = 0
        /// Bytes sent.
        public var bytesSent = 0
        /// The most bytes that waited to be sent at once.
        public var mostPending = 0
    }

    private typealias Waiter = UnsafeContinuation<Void, Never>

    private struct State {
        var pending: UnsafeMutableRawBufferPointer
        var pendingCount = 0
        var sending: UnsafeMutableRawBufferPointer
        /// Bytes written, and bytes sent, since the start (flush compares them).
        var written = 0
        var sent = 0
        var statistics = Statistics()
        /// The sender, waiting for bytes.
        var sender: Waiter?
        /// Writers waiting for room, and flushes waiting for their bytes to leave.
        var waiters: [(id: UInt64, waiter: Waiter)] = []
        var nextWaiterID: UInt64 = 0
        /// No more writes: the sender sends what is pending and ends.
        var finished = false
        var failure: (any Error)?
    }

    private let stream: TCPStream
    private let highWater: Int
    private let state: ThreadLock<State>

    init(stream: TCPStream, highWater: Int) {
        self.stream = stream
        self.highWater = highWater
        let initial = Swift.min(highWater, 64 * 1024)
        // Safety: both buffers are owned by this writer and freed in deinit, after the
        // sender task (which alone sends from `sending`) has ended with `withWriter`.
        state = ThreadLock(
            State(
                pending: .allocate(byteCount: initial, alignment: 16), sending: .allocate(byteCount: initial, alignment: 16)))
    }

    deinit {
        state.withLock { state in
            state.pending.deallocate()
            state.sending.deallocate()
        }
    }

    /// What this writer has done so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Queues a copy of `bytes` to be sent; waits first while `highWater` bytes or more
    /// are pending.
    ///
    /// - Throws: the first send error; `URingError.closed` after `withWriter` returned;
    ///   `CancellationError` when the task is cancelled while it waits for room.
    public func write(_ bytes: UnsafeRawBufferPointer) async throws {
        while let id = try append(bytes) {
            await wait(id) { $0.pendingCount < self.highWater || $0.failure != nil || $0.finished }
        }
    }

    /// Queues a copy of `bytes` to be sent (see `write(_: UnsafeRawBufferPointer)`).
    public func write(_ bytes: [UInt8]) async throws {
        while let id = try bytes.withUnsafeBytes({ try append($0) }) {
            await wait(id) { $0.pendingCount < self.highWater || $0.failure != nil || $0.finished }
        }
    }

    /// Appends `bytes` and wakes the sender; or, while `highWater` bytes are pending, the
    /// waiter id to wait as before trying again.
    private func append(_ bytes: UnsafeRawBufferPointer) throws -> UInt64? {
        try Task.checkCancellation()
        let outcome = state.withLock { state -> (wait: UInt64?, wake: Waiter?, error: (any Error)?) in
            if let failure = state.failure { return (nil, nil, failure) }
            if state.finished { return (nil, nil, URingError.closed) }
            if state.pendingCount >= highWater {
                state.nextWaiterID &+= 1
                return (state.nextWaiterID, nil, nil)
            }
            Self.append(bytes, to: &state)
            let sender = state.sender
            state.sender = nil
            return (nil, sender, nil)
        }
        if let error = outcome.error { throw error }
        outcome.wake?.resume()
        return outcome.wait
    }

    /// Waits until every byte written before this call was sent.
    ///
    /// - Throws: the first send error; `CancellationError`.
    public func flush() async throws {
        let target = state.withLock { $0.written }
        while true {
            try Task.checkCancellation()
            let (done, error, id) = state.withLock { state -> (Bool, (any Error)?, UInt64) in
                state.nextWaiterID &+= 1
                return (state.sent >= target, state.failure, state.nextWaiterID)
            }
            if let error { throw error }
            if done { return }
            await wait(id) { $0.sent >= target || $0.failure != nil }
        }
    }

    /// Suspends as waiter `id` unless `ready` already holds; woken at each send's end, at
    /// a failure, at the finish, or by the task's cancellation.
    private func wait(_ id: UInt64, until ready: @escaping (State) -> Bool) async {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: Waiter) in
                let now = state.withLock { state -> Bool in
                    // A cancel whose handler ran before this store sets the flag first.
                    if ready(state) || Task.isCancelled { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).waiter
            }?.resume()
        }
    }

    private static func append(_ bytes: UnsafeRawBufferPointer, to state: inout State) {
        let needed = state.pendingCount + bytes.count
        if needed > state.pending.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(
                byteCount: Swift.max(needed, state.pending.count * 2), alignment: 16)
            grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: state.pending[..<state.pendingCount]))
            state.pending.deallocate()
            state.pending = grown
        }
        if let base = bytes.baseAddress, !bytes.isEmpty {
            (state.pending.baseAddress! + state.pendingCount).copyMemory(from: base, byteCount: bytes.count)
        }
        state.pendingCount = needed
        state.written += bytes.count
        state.statistics.writes += 1
        state.statistics.mostPending = Swift.max(state.statistics.mostPending, needed)
    }

    // MARK: The sender

    /// The sender task: sends what is pending, batch after batch, until `finish()` and
    /// nothing is left, or the first error (kept, and thrown).
    func runSender() async throws {
        while true {
            guard let (buffer, count) = try await nextBatch() else { return }
            do {
                try await stream.send(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            } catch {
                stop(with: error)
                throw error
            }
            let woken = state.withLock { state -> [Waiter] in
                state.sent += count
                state.statistics.sends += 1
                state.statistics.bytesSent += count
                let woken = state.waiters.map(\.waiter)
                state.waiters.removeAll()
                return woken
            }
            woken.forEach { $0.resume() }
        }
    }

    /// Swaps the pending bytes into the sender's buffer; waits while there are none; nil
    /// when finished with nothing left.
    private func nextBatch() async throws -> (UnsafeMutableRawBufferPointer, Int)? {
        while true {
            try Task.checkCancellation()
            let batch = state.withLock { state -> (UnsafeMutableRawBufferPointer, Int)?? in
                if state.pendingCount > 0 {
                    let count = state.pendingCount
                    swap(&state.pending, &state.sending)
                    state.pendingCount = 0
                    return .some((state.sending, count))
                }
                return state.finished ? .some(nil) : nil
            }
            if let batch { return batch }
            await withTaskCancellationHandler {
                await withUnsafeContinuation { (continuation: Waiter) in
                    let now = state.withLock { state -> Bool in
                        if state.pendingCount > 0 || state.finished || Task.isCancelled { return true }
                        state.sender = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                state.withLock { state -> Waiter? in
                    defer { state.sender = nil }
                    return state.sender
                }?.resume()
            }
        }
    }

    /// No more writes: the sender sends what is pending, then ends.
    func finish() {
        end(failure: nil)
    }

    /// Ends the writer with `error` (a failed send, or the body's error): later writes
    /// and flushes throw it; waiting writers and the sender wake.
    func stop(with error: any Error) {
        end(failure: error)
    }

    /// Marks the writer finished (keeping the first failure) and wakes every waiter.
    private func end(failure: (any Error)?) {
        let woken = state.withLock { state -> [Waiter] in
            if state.failure == nil { state.failure = failure }
            state.finished = true
            var woken = state.waiters.map(\.waiter)
            state.waiters.removeAll()
            if let sender = state.sender { woken.append(sender) }
            state.sender = nil
            return woken
        }
        woken.forEach { $0.resume() }
    }
}
