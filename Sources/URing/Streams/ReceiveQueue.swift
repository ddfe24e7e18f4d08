// Where a stream's multishot receive (with provided buffers) meets the tasks that call
// `receive`, as a value-level state machine (tested without a ring; StreamReceiver wraps
// it in a lock).
//
// The ring side: `arming` (the SQE is about to go out), `deliver` (a CQE with F_MORE and
// a buffer), `finish` (the last CQE: maybe a final buffer, maybe the end of the stream
// or an error). The consumer side: `receive` decides what one call does, `wait`
// suspends it, `stopWaiting` takes a waiter back (task cancelled), `plainFinished`
// reports a plain recv done, `close` ends it all.
//
// Rules that keep every byte, and every caller served:
// - bytes leave the queue only by being copied into a caller's buffer, in order;
// - a plain recv (single shot) and the multishot receive are never in the kernel at
//   once: the multishot one would take bytes a waiting plain recv never sees. While a
//   plain recv runs, others are plain too; while the multishot one is armed (or bytes
//   are queued), every caller is served from the queue;
// - several callers may wait at once; every change wakes them all, and each retries;
// - the end of the stream, or an error, is reported after the bytes before it.
// Backpressure: once `highWater` bytes are queued the multishot receive is cancelled;
// the socket's own buffer then fills and TCP flow control slows the sender. The next
// receive that finds the queue empty arms it again.

/// The waiters one event wakes: most events wake one, so the first needs no array.
struct WakeList<Waiter> {
    var first: Waiter?
    var rest: [Waiter] = []

    func forEach(_ body: (Waiter) -> Void) {
        if let first { body(first) }
        for waiter in rest { body(waiter) }
    }

    /// Every waiter, in order (tests).
    var all: [Waiter] {
        var all: [Waiter] = []
        forEach { all.append($0) }
        return all
    }
}

enum ReceiveEnd {
    /// The peer shut down its sending side: receive returns 0.
    case endOfStream
    case failure(any Error)
}

struct ReceiveQueue<Waiter> {
    enum Arm: Equatable {
        /// No multishot receive in the kernel.
        case idle
        /// One was asked to start; `arming` or `finish` comes next.
        case arming
        case armed(SlotTicket)
        /// Cancelled (backpressure, a deadline, close); its last CQE is still to come.
        case disarming
    }

    let highWater: Int
    private(set) var arm = Arm.idle
    private var chunks: [ReceivedChunk] = []
    private var head = 0
    private(set) var bufferedBytes = 0
    private var end: ReceiveEnd?
    private var firstWaiter: (id: UInt64, waiter: Waiter)?
    private var otherWaiters: [(id: UInt64, waiter: Waiter)] = []
    /// Waiter ids `receive` handed out whose `wait` has not run yet (usually none or
    /// one; a few with overlapping callers), and whether their task was cancelled
    /// meanwhile. Only these can be cancelled early: a waiter already woken needs no
    /// record, so nothing here outlives its `wait`.
    private var unwaited: [(id: UInt64, cancelled: Bool)] = []
    private var nextWaiterID: UInt64 = 0
    /// Plain recv calls in the kernel now.
    private(set) var plainInFlight = 0
    private(set) var closed = false

    init(highWater: Int) {
        self.highWater = highWater
    }

    enum Step {
        /// `count` bytes were copied into the caller's buffer (chunks it emptied went
        /// back to their pool).
        case copied(Int)
        case end(ReceiveEnd)
        /// Suspend in `wait` as waiter `id`; with `arm`, first start the multishot receive.
        case wait(id: UInt64, arm: Bool)
        /// Cancel the armed receive in this slot (the caller has a deadline), then wait.
        case disarm(SlotTicket, id: UInt64)
        /// Receive straight into the caller's buffer with a plain recv, then call
        /// `plainFinished`.
        case singleShot
    }

    /// What one `receive(into: buffer)` does now. `multishotAllowed`: the caller's ring
    /// has free provided buffers; `hasDeadline`: the call must end by a deadline (a plain
    /// recv carries it; a multishot receive cannot).
    mutating func receive(
        into buffer: UnsafeMutableRawBufferPointer, multishotAllowed: Bool, hasDeadline: Bool
    ) -> Step {
        if head < chunks.count {
            return copy(into: buffer)
        }
        if let end {
            self.end = nil
            return .end(end)
        }
        if closed { return .end(.failure(URingError.closed)) }
        switch arm {
        case .armed(let ticket):
            guard hasDeadline else { return .wait(id: newWaiterID(), arm: false) }
            arm = .disarming
            return .disarm(ticket, id: newWaiterID())
        case .arming, .disarming:
            return .wait(id: newWaiterID(), arm: false)
        case .idle:
            guard multishotAllowed && !hasDeadline && buffer.count > 0 && plainInFlight == 0 else {
                plainInFlight += 1
                return .singleShot
            }
            arm = .arming
            return .wait(id: newWaiterID(), arm: true)
        }
    }

    /// A plain recv that `receive` asked for has returned.
    mutating func plainFinished() {
        plainInFlight -= 1
    }

    private mutating func newWaiterID() -> UInt64 {
        nextWaiterID &+= 1
        unwaited.append((nextWaiterID, false))
        return nextWaiterID
    }

    /// Waiter ids handed out and not yet through `wait` (for tests: bounded by the
    /// number of callers between `receive` and `wait`).
    var pendingWaiterIDs: Int { unwaited.count }

    private mutating func copy(into buffer: UnsafeMutableRawBufferPointer) -> Step {
        var copied = 0

        while copied < buffer.count && head < chunks.count {
            let chunk = chunks[head]
            let count = min(chunk.remaining, buffer.count - copied)
            // Safety: the chunk's bytes are this stream's until recycled, and `buffer` is
            // the caller's for the duration of the call.
            (buffer.baseAddress! + copied).copyMemory(from: chunk.pool.bytes(chunk.id) + chunk.start, byteCount: count)
            copied += count
            if count == chunk.remaining {
                chunk.recycle()
                head += 1
            } else {
                chunks[head].start += count
            }
        }
        bufferedBytes -= copied
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        }
        return .copied(copied)
    }

    enum WaitAction {
        /// Something changed since `receive`: run it again now.
        case retry
        case suspended
    }

    /// The consumer suspends as waiter `id` after `receive` said wait (or disarm).
    mutating func wait(_ id: UInt64, _ newWaiter: Waiter) -> WaitAction {
        if let index = unwaited.firstIndex(where: { $0.id == id }) {
            let cancelled = unwaited[index].cancelled
            unwaited.remove(at: index)
            if cancelled { return .retry }
        }
        if head < chunks.count || end != nil || closed || arm == .idle { return .retry }
        if firstWaiter == nil {
            firstWaiter = (id, newWaiter)
        } else {
            otherWaiters.append((id, newWaiter))
        }
        return .suspended
    }

    /// Waiter `id`'s task was cancelled: its waiter, if stored. If its `wait` is still
    /// to come, that `wait` returns at once; if it was already woken, nothing is kept.
    mutating func stopWaiting(_ id: UInt64) -> Waiter? {
        if let first = firstWaiter, first.id == id {
            firstWaiter = otherWaiters.isEmpty ? nil : otherWaiters.removeFirst()
            return first.waiter
        }
        guard let index = otherWaiters.firstIndex(where: { $0.id == id }) else {
            if let early = unwaited.firstIndex(where: { $0.id == id }) { unwaited[early].cancelled = true }
            return nil
        }
        return otherWaiters.remove(at: index).waiter
    }

    private mutating func takeWaiters() -> WakeList<Waiter> {
        guard let first = firstWaiter else { return WakeList() }
        firstWaiter = nil
        var list = WakeList(first: first.waiter)
        if !otherWaiters.isEmpty {
            list.rest = otherWaiters.map(\.waiter)
            otherWaiters.removeAll()
        }
        return list
    }

    /// The multishot SQE is about to be submitted in `ticket`; false if the stream was
    /// closed meanwhile (nothing is submitted; `finish` follows).
    mutating func arming(_ ticket: SlotTicket) -> Bool {
        guard !closed else { return false }
        arm = .armed(ticket)
        return true
    }

    struct DeliverAction {
        var wake = WakeList<Waiter>()
        /// Cancel the receive in this slot: the queue reached its high-water mark.
        var disarm: SlotTicket?
        /// Nobody will read this (the stream is closed): recycle it.
        var discard: ReceivedChunk?
    }

    /// A CQE with F_MORE brought `chunk`.
    mutating func deliver(_ chunk: ReceivedChunk) -> DeliverAction {
        guard !closed else { return DeliverAction(discard: chunk) }
        append(chunk)
        var action = DeliverAction(wake: takeWaiters())
        if bufferedBytes >= highWater, case .armed(let ticket) = arm {
            arm = .disarming
            action.disarm = ticket
        }
        return action
    }

    struct FinishAction {
        var wake = WakeList<Waiter>()
        var discard: ReceivedChunk?
    }

    /// The last CQE arrived (or the receive could not start): a final chunk, and/or how
    /// the stream ended (nil: the receive just stopped — cancelled, out of buffers).
    mutating func finish(last: ReceivedChunk?, end newEnd: ReceiveEnd?) -> FinishAction {
        arm = .idle
        var action = FinishAction(wake: takeWaiters())
        if closed {
            action.discard = last
            return action
        }
        if let last { append(last) }
        if let newEnd, end == nil { end = newEnd }
        return action
    }

    struct CloseAction {
        var wake = WakeList<Waiter>()
        var cancel: SlotTicket?
        var discarded: [ReceivedChunk]
    }

    /// The stream is closing: drop what is queued, cancel what is armed.
    mutating func close() -> CloseAction {
        guard !closed else { return CloseAction(discarded: []) }
        closed = true
        var action = CloseAction(wake: takeWaiters(), discarded: Array(chunks[head...]))
        chunks = []
        head = 0
        bufferedBytes = 0
        if case .armed(let ticket) = arm {
            arm = .disarming
            action.cancel = ticket
        }
        return action
    }

    private mutating func append(_ chunk: ReceivedChunk) {
        guard chunk.remaining > 0 else {
            chunk.recycle()
            return
        }
        chunks.append(chunk)
        bufferedBytes += chunk.remaining
    }
}
