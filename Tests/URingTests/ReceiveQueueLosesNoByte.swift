// The receive queue's state machine, driven by hand: no ring, no socket. Chunks are
// carved from a provided-buffer pool that is mapped but never registered.

import Testing

@testable import URing

@Suite("ReceiveQueue: multishot receive meets the caller, without losing a byte")
struct ReceiveQueueLosesNoByte {
    typealias Queue = ReceiveQueue<Int>

    let pool: ReceiveBufferPool

    init() throws {
        pool = try ReceiveBufferPool(count: 8, bufferSize: 16)
    }

    /// Takes buffer `id` as the kernel would and fills it with `bytes`.
    func chunk(_ id: UInt16, _ bytes: [UInt8]) -> ReceivedChunk {
        pool.taken(id)
        pool.bytes(id).copyMemory(from: bytes, byteCount: bytes.count)
        return ReceivedChunk(pool: pool, id: id, start: 0, end: bytes.count)
    }

    func receive(_ queue: inout Queue, count: Int, allowed: Bool = true, deadline: Bool = false) -> (Queue.Step, [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        let step = queue.receive(into: buffer, multishotAllowed: allowed, hasDeadline: deadline)
        if case .copied(let copied) = step {
            return (step, Array(buffer[..<copied]))
        }
        return (step, [])
    }

    let ticket = SlotTicket(index: 3, generation: 1)

    /// Free buffers once what was recycled is back in the ring.
    func freeAfterReplenish() -> Int {
        pool.replenish()
        return pool.available
    }

    @Test("an empty queue arms the receive once; the chunk it delivers is copied out in order across calls")
    func armThenCopyAcrossCalls() {
        var queue = Queue(highWater: 1024)
        guard case .wait(_, arm: true) = receive(&queue, count: 4).0 else { Issue.record("expected to arm"); return }
        let result1 = queue.arming(ticket)
        #expect(result1)
        let result2 = queue.wait(1, 1)
        #expect(result2 == .suspended)
        let delivered = queue.deliver(chunk(0, [1, 2, 3, 4, 5, 6]))
        #expect(delivered.wake.all == [1])
        #expect(delivered.disarm == nil)
        #expect(receive(&queue, count: 4).1 == [1, 2, 3, 4])
        #expect(freeAfterReplenish() == 7)  // the chunk still has 2 unread bytes
        #expect(receive(&queue, count: 4).1 == [5, 6])
        #expect(freeAfterReplenish() == 8)  // emptied: back in the pool
        // Still armed: the next caller waits for the next chunk, without a new SQE.
        guard case .wait(_, arm: false) = receive(&queue, count: 4).0 else { Issue.record("expected to wait"); return }
    }

    @Test("one call copies several chunks up to its buffer's size")
    func copiesAcrossChunks() {
        var queue = Queue(highWater: 1024)
        _ = receive(&queue, count: 4)
        _ = queue.arming(ticket)
        _ = queue.deliver(chunk(0, [1, 2]))
        _ = queue.deliver(chunk(1, [3, 4, 5]))
        _ = queue.deliver(chunk(2, [6]))
        #expect(queue.bufferedBytes == 6)
        #expect(receive(&queue, count: 4).1 == [1, 2, 3, 4])
        #expect(freeAfterReplenish() == 6)  // the first chunk is back, two are held
        #expect(receive(&queue, count: 100).1 == [5, 6])
        #expect(queue.bufferedBytes == 0)
    }

    @Test("the end of the stream and an error come after the bytes before them, once")
    func endAfterBytes() {
        var queue = Queue(highWater: 1024)
        _ = receive(&queue, count: 4)
        _ = queue.arming(ticket)
        _ = queue.deliver(chunk(0, [9, 8]))
        _ = queue.finish(last: chunk(1, [7]), end: .endOfStream)
        #expect(queue.arm == .idle)
        #expect(receive(&queue, count: 10).1 == [9, 8, 7])
        guard case .end(.endOfStream) = receive(&queue, count: 10).0 else { Issue.record("expected EOF"); return }
        // Reported once; the next call asks the kernel again (which says EOF again).
        guard case .wait(_, arm: true) = receive(&queue, count: 10).0 else { Issue.record("expected a new arm"); return }
        _ = queue.finish(last: nil, end: .failure(Errno.connectionReset))
        guard case .end(.failure(let error)) = receive(&queue, count: 10).0 else { Issue.record("expected the error"); return }
        #expect(error as? Errno == .connectionReset)
    }

    @Test("reaching the high-water mark cancels the armed receive; the bytes stay for the caller")
    func highWaterDisarms() {
        var queue = Queue(highWater: 20)
        _ = receive(&queue, count: 4)
        _ = queue.arming(ticket)
        let result3 = queue.deliver(chunk(0, Array(repeating: 1, count: 16)))
        #expect(result3.disarm == nil)
        let result4 = queue.deliver(chunk(1, Array(repeating: 2, count: 16)))
        #expect(result4.disarm == ticket)
        #expect(queue.arm == .disarming)
        _ = queue.finish(last: nil, end: nil)
        #expect(receive(&queue, count: 64).1 == Array(repeating: 1, count: 16) + Array(repeating: 2, count: 16))
        // Drained: the next caller arms it again.
        guard case .wait(_, arm: true) = receive(&queue, count: 4).0 else { Issue.record("expected a new arm"); return }
    }

    @Test("a pool without free buffers, a deadline or an empty buffer means a plain recv")
    func singleShotWhenMultishotCannotHelp() {
        var queue = Queue(highWater: 1024)
        guard case .singleShot = receive(&queue, count: 4, allowed: false).0 else { Issue.record("no buffers"); return }
        guard case .singleShot = receive(&queue, count: 4, deadline: true).0 else { Issue.record("deadline"); return }
        guard case .singleShot = receive(&queue, count: 0).0 else { Issue.record("empty buffer"); return }
        #expect(queue.arm == .idle)
        #expect(queue.plainInFlight == 3)
        // While a plain recv is in the kernel, the multishot receive is not armed: it
        // would take bytes the plain one waits for.
        guard case .singleShot = receive(&queue, count: 4).0 else { Issue.record("plain in flight"); return }
        for _ in 0..<4 { queue.plainFinished() }
        guard case .wait(_, arm: true) = receive(&queue, count: 4).0 else { Issue.record("then arm"); return }
    }

    @Test("a receive with a deadline while armed cancels the multishot receive first")
    func deadlineDisarms() {
        var queue = Queue(highWater: 1024)
        _ = receive(&queue, count: 4)
        _ = queue.arming(ticket)
        guard case .disarm(let target, _) = receive(&queue, count: 4, deadline: true).0 else { Issue.record("disarm"); return }
        #expect(target == ticket)
        let result5 = queue.wait(5, 5)
        #expect(result5 == .suspended)
        let finished = queue.finish(last: nil, end: nil)
        #expect(finished.wake.all == [5])
        guard case .singleShot = receive(&queue, count: 4, deadline: true).0 else { Issue.record("then recv"); return }
    }

    @Test("receives that overlap a waiting one wait on the queue too; a chunk wakes them all; a cancel before the wait is kept")
    func overlappingReceives() {
        var queue = Queue(highWater: 1024)
        guard case .wait(let first, arm: true) = receive(&queue, count: 4).0,
            case .wait(let second, arm: false) = receive(&queue, count: 4).0,
            case .wait(let third, arm: false) = receive(&queue, count: 4).0
        else {
            Issue.record("expected three waits")
            return
        }
        _ = queue.arming(ticket)
        let waits = [queue.wait(first, 1), queue.wait(second, 2)]
        #expect(waits == [.suspended, .suspended])
        #expect(queue.stopWaiting(third) == nil)  // cancelled before it suspended
        let late = queue.wait(third, 3)
        #expect(late == .retry)
        let delivered = queue.deliver(chunk(0, [1, 2, 3, 4, 5]))
        #expect(delivered.wake.all == [1, 2])
        #expect(receive(&queue, count: 4).1 == [1, 2, 3, 4])
        #expect(receive(&queue, count: 4).1 == [5])
    }

    @Test("a cancelled waiter is handed back; bytes that arrive later wait for the next receive")
    func cancelledWaiterKeepsBytes() {
        var queue = Queue(highWater: 1024)
        _ = receive(&queue, count: 4)
        _ = queue.arming(ticket)
        let result7 = queue.wait(1, 1)
        #expect(result7 == .suspended)
        let result8 = queue.stopWaiting(1)
        #expect(result8 == 1)
        let result9 = queue.deliver(chunk(0, [4, 2]))
        #expect(result9.wake.all.isEmpty)
        #expect(receive(&queue, count: 4).1 == [4, 2])
    }

    @Test("a cancel that comes after the waiter was woken keeps nothing: 10,000 such rounds leave no record behind")
    func cancelAfterWakeKeepsNothing() {
        var queue = Queue(highWater: 1 << 20)
        for round in 0..<10_000 {
            let step = receive(&queue, count: 4).0
            guard case .wait(let id, let arm) = step else {
                Issue.record("round \(round): expected a wait, got \(step)")
                return
            }
            if arm { _ = queue.arming(ticket) }
            #expect(queue.pendingWaiterIDs == 1)
            #expect(queue.wait(id, round) == .suspended)
            #expect(queue.pendingWaiterIDs == 0)
            let delivered = queue.deliver(chunk(UInt16(round % 8), [UInt8(truncatingIfNeeded: round)]))
            #expect(delivered.wake.all == [round])
            // The task is cancelled after its wake (the handler runs late): no waiter to
            // hand back, and nothing may be remembered for an id that will never wait again.
            #expect(queue.stopWaiting(id) == nil)
            #expect(queue.pendingWaiterIDs == 0)
            #expect(receive(&queue, count: 4).1 == [UInt8(truncatingIfNeeded: round)])
            pool.replenish()
        }
        #expect(queue.pendingWaiterIDs == 0)
    }

    @Test("close hands back the waiter and every queued chunk, cancels the receive, and discards later chunks")
    func closeDiscards() {
        var queue = Queue(highWater: 1024)
        _ = receive(&queue, count: 4)
        _ = queue.arming(ticket)
        _ = queue.deliver(chunk(0, [1]))
        _ = queue.deliver(chunk(1, [2]))
        let result10 = queue.wait(7, 7)
        #expect(result10 == .retry)  // bytes are there: no suspension
        let closed = queue.close()
        #expect(closed.cancel == ticket)
        #expect(closed.discarded.map(\.id) == [0, 1])
        let result11 = queue.deliver(chunk(2, [3]))
        #expect(result11.discard?.id == 2)
        let result12 = queue.finish(last: chunk(3, [4]), end: nil)
        #expect(result12.discard?.id == 3)
        guard case .end(.failure(let error)) = receive(&queue, count: 4).0 else { Issue.record("closed"); return }
        #expect(error as? URingError == .closed)
        let result13 = queue.arming(SlotTicket(index: 4, generation: 1))
        #expect(!result13)
    }

    @Test("recycled buffers return to the pool's free count once replenished")
    func recycleReturnsBuffers() {
        let taken = chunk(5, [1, 2, 3])
        #expect(pool.available == 7)
        taken.recycle()
        #expect(pool.available == 7)  // not yet: the owner replenishes at its next poll
        pool.replenish()
        #expect(pool.available == 8)
    }
}
