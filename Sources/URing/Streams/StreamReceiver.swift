// IORING_OP_RECV with IORING_RECV_MULTISHOT and IOSQE_BUFFER_SELECT: one SQE that
// receives chunk after chunk into buffers the kernel picks from the worker ring's
// provided-buffer pool. Received chunks queue in the stream (ReceiveQueue) until a
// `receive` copies them out, so a connection that waits for data pins no buffer of its
// own, and the next request on a keep-alive connection costs no SQE.
//
// When the ring cannot take part (the caller is not on a runtime worker, the ring has
// no pool or no free buffers, the call has a deadline), `receive` is a plain recv into
// the caller's buffer, as before. Bytes are never dropped: see ReceiveQueue.
//
// Threads: the ring side (`arming`, `deliver`, `finish`) runs on the arming driver's
// thread; the consumer side on the caller's task. Both go through one lock, and act
// (resume, recycle, cancel) after unlocking. Each arming holds one use of the socket
// until its `finish`, so close() — which cancels the receive first — waits for it.

import CLiburing
import Glibc
import URingExecutor

final class StreamReceiver: MultishotOperation, @unchecked Sendable {
    // @unchecked: all mutable state is behind `state`'s lock.
    typealias Waiter = UnsafeContinuation<Void, Never>

    /// Bytes queued before the multishot receive is cancelled (backpressure).
    static let highWater = 64 * 1024

    private struct State {
        var queue = ReceiveQueue<Waiter>(highWater: StreamReceiver.highWater)
        /// The driver the receive is armed on, and its pool (the CQEs' buffer ids refer to it).
        var driver: CompletionDriver?
        var pool: ReceiveBufferPool?
    }

    /// The socket, and the use count that keeps it open while a receive is armed.
    private let descriptor: FileDescriptor
    private let uses: FileUseCount
    private let state = ThreadLock(State())

    init(descriptor: FileDescriptor, uses: FileUseCount) {
        self.descriptor = descriptor
        self.uses = uses
    }

    // MARK: Consumer side

    /// Receives up to `buffer.count` bytes (0: end of stream); see TCPStream.receive.
    func receive(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        while true {
            try Task.checkCancellation()
            let driver = CurrentDriver.driver
            let pool = driver?.receiveBufferPool
            let allowed = pool.map { $0.available >= max(1, $0.count / 8) } ?? false
            let hasDeadline = OperationDeadline.current != nil
            let step = state.withLock {
                $0.queue.receive(into: buffer, multishotAllowed: allowed, hasDeadline: hasDeadline)
            }
            switch step {
            case .copied(let count):
                return count
            case .end(.endOfStream):
                return 0
            case .end(.failure(let error)):
                throw error
            case .singleShot:
                defer { state.withLock { $0.queue.plainFinished() } }
                return try await uses.withUse {
                    try await perform(ReceiveOperation(descriptor: descriptor, buffer: buffer))
                }
            case .wait(let id, let arm):
                if arm, let driver { start(on: driver) }
                await waitForChange(id)
            case .disarm(let ticket, let id):
                state.withLock { $0.driver }?.requestCancel(ticket)
                await waitForChange(id)
            }
        }
    }

    /// Suspends until a chunk, the end or an error arrives, the receive stops, or the
    /// task is cancelled (then queued and later bytes stay for the next receive).
    private func waitForChange(_ id: UInt64) async {
        await withTaskCancellationHandler {
            // Unsafe (no allocation): the queue hands each waiter out exactly once.
            await withUnsafeContinuation { (continuation: Waiter) in
                if case .retry = state.withLock({ $0.queue.wait(id, continuation) }) {
                    continuation.resume()
                }
            }
        } onCancel: {
            state.withLock { $0.queue.stopWaiting(id) }?.resume()
        }
    }

    /// The stream is closing (or gone): cancel the armed receive, recycle what is queued.
    func close() {
        let (action, driver) = state.withLock { ($0.queue.close(), $0.driver) }
        action.wake.forEach { $0.resume() }
        for chunk in action.discarded { chunk.recycle() }
        if let ticket = action.cancel, let driver { driver.requestCancel(ticket) }
    }

    /// Arms the receive on `driver` (the calling thread's).
    private func start(on driver: CompletionDriver) {
        guard uses.begin() else {
            finishOnConsumer(.failure(URingError.closed))
            return
        }
        driver.startMultishot(self)
    }

    private func finishOnConsumer(_ end: ReceiveEnd) {
        state.withLock { $0.queue.finish(last: nil, end: end) }.wake.forEach { $0.resume() }
    }

    // MARK: Ring side (the arming driver's thread)

    func prepare(_ entry: SubmissionEntry) {
        entry.recv(descriptor, into: nil, flags: 0, multishot: true)
        entry.flags.insert(.bufferSelect)
        entry.bufferGroup = ReceiveBufferPool.group
    }

    func arming(on driver: CompletionDriver, ticket: SlotTicket) -> Bool {
        let pool = driver.receiveBufferPool
        return state.withLock { state in
            guard let pool else { return false }
            state.driver = driver
            state.pool = pool
            return state.queue.arming(ticket)
        }
    }

    func deliver(result: Int32, flags: UInt32) {
        // Errors and the end of stream come without F_MORE (in `finish`).
        guard result > 0 else { return }
        let (action, driver) = state.withLock { state -> (ReceiveQueue<Waiter>.DeliverAction?, CompletionDriver?) in
            guard let chunk = Self.chunk(result: result, flags: flags, pool: state.pool) else { return (nil, nil) }
            return (state.queue.deliver(chunk), state.driver)
        }
        guard let action else { return }
        action.discard?.recycle()
        action.wake.forEach { $0.resume() }
        if let ticket = action.disarm { driver?.requestCancel(ticket) }
    }

    func finish(_ outcome: OperationOutcome) {
        uses.end()
        var last: ReceivedChunk?
        var end: ReceiveEnd?
        if outcome.result > 0 {
            last = Self.chunk(result: outcome.result, flags: outcome.flags, pool: state.withLock { $0.pool })
        } else if outcome.result == 0 {
            end = .endOfStream
        } else if outcome.shutdown {
            end = .failure(URingError.shutdown)
        } else if outcome.result == -ENOBUFS {
            // The pool ran dry: the next receive is a plain recv until buffers come back.
            state.withLock { $0.driver }?.noteReceiveBuffersExhausted()
        } else if outcome.result != -ECANCELED {
            end = .failure(Errno(rawValue: -outcome.result))
        }
        let action = state.withLock { $0.queue.finish(last: last, end: end) }
        action.discard?.recycle()
        action.wake.forEach { $0.resume() }
    }

    /// The chunk a CQE filled, taken from the arming driver's pool.
    private static func chunk(result: Int32, flags: UInt32, pool: ReceiveBufferPool?) -> ReceivedChunk? {
        guard flags & IORING_CQE_F_BUFFER != 0, let pool else { return nil }
        let id = UInt16(truncatingIfNeeded: flags >> UInt32(IORING_CQE_BUFFER_SHIFT))
        pool.taken(id)
        return ReceivedChunk(pool: pool, id: id, start: 0, end: Int(result))
    }
}
