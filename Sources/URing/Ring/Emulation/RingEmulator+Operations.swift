// Starting what an SQE asks for, by opcode, and finishing it: the IO_LINK chain rules
// (the rest of a chain starts only when its head succeeds; a LINK_TIMEOUT right behind a
// head guards it), which opcodes run inline, on the blocking pool or on readiness.
// Owner thread only.

import CLiburing
import Glibc

extension RingEmulator {
    // MARK: Starting operations

    func makeOperation(_ sqe: io_uring_sqe) -> EmulatedOperation {
        defer { nextID &+= 1 }
        return EmulatedOperation(id: nextID, sqe: sqe)
    }

    /// Starts the first SQE of a chain; a LINK_TIMEOUT right behind it guards it, and
    /// the rest starts only if it succeeds.
    func startChain(_ chain: ArraySlice<io_uring_sqe>) {
        guard let first = chain.first else { return }
        let operation = makeOperation(first)
        var rest = chain.dropFirst()
        if let next = rest.first, next.opcode == Opcode.linkTimeout.rawValue {
            rest = rest.dropFirst()
            let guardTimer = makeOperation(next)
            guard let deadline = deadline(of: next) else {
                post(guardTimer.userData, -EINVAL)
                post(first.user_data, -ECANCELED)
                failChain(rest, result: -ECANCELED)
                return
            }
            guardTimer.guarded = operation.id
            operation.linkTimeout = guardTimer.id
            operations[guardTimer.id] = guardTimer
            arm(guardTimer, at: deadline)
        }
        operation.chain = Array(rest)
        operations[operation.id] = operation
        start(operation)
    }

    func failChain(_ chain: ArraySlice<io_uring_sqe>, result: Int32) {
        for sqe in chain { post(sqe.user_data, result) }
    }

    func start(_ operation: EmulatedOperation) {
        let sqe = operation.sqe
        if sqe.flags & CURING_IOSQE_FIXED_FILE != 0 {
            // No file table is registered on an emulated ring.
            return finish(operation, result: -EBADF)
        }
        if sqe.flags & CURING_IOSQE_BUFFER_SELECT != 0 {
            // No provided buffers exist on an emulated ring (registration fails).
            return finish(operation, result: -ENOBUFS)
        }
        switch Opcode(rawValue: sqe.opcode) {
        case .nop:
            finish(operation, result: 0)
        case .timeout:
            guard sqe.off == 0, let deadline = deadline(of: sqe) else { return finish(operation, result: -EINVAL) }
            arm(operation, at: deadline)
        case .linkTimeout:
            // Only valid right behind a linked SQE (handled in startChain).
            finish(operation, result: -EINVAL)
        case .asyncCancel:
            guard sqe.cancel_flags & ~IORING_ASYNC_CANCEL_ALL == 0 else { return finish(operation, result: -EINVAL) }
            let all = sqe.cancel_flags & IORING_ASYNC_CANCEL_ALL != 0
            finish(operation, result: cancel(userData: sqe.addr, all: all))
        case .close:
            dropWaiters(on: sqe.fd)
            finish(operation, result: close(sqe.fd) == 0 ? 0 : -errno)
        case .shutdown:
            finish(operation, result: EmulatedCalls.shutdownSocket(sqe.fd, how: Int32(bitPattern: sqe.len)))
        case .openat, .openat2, .statx, .unlinkat, .renameat, .mkdirat, .symlinkat, .linkat, .fsync, .fallocate:
            runOnPool(operation)
        case .read, .write, .readv, .writev:
            if Self.isRegularFileOrBlockDevice(sqe.fd) {
                if operation.opcode == .read || operation.opcode == .readv, let result = EmulatedCalls.cachedRead(sqe) {
                    return finish(operation, result: result)
                }
                runOnPool(operation)
            } else {
                attemptOrWait(operation)
            }
        case .recv:
            if sqe.ioprio & UInt16(IORING_RECV_MULTISHOT) != 0 { return finish(operation, result: -EINVAL) }
            attemptOrWait(operation)
        case .send, .recvmsg, .sendmsg, .accept:
            attemptOrWait(operation)
        case .connect:
            operation.connectStarted = false
            attemptOrWait(operation)
        default:
            // What the kernel answers for an opcode it does not know.
            finish(operation, result: -EINVAL)
        }
    }

    static func isRegularFileOrBlockDevice(_ fd: Int32) -> Bool {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return true }  // EBADF etc.: the pool call reports it.
        let type = status.st_mode & S_IFMT
        return type == S_IFREG || type == S_IFBLK
    }

    func runOnPool(_ operation: EmulatedOperation) {
        let job = PoolJob(operationID: operation.id, inbox: inbox, work: EmulatedCalls.blockingCall(operation.sqe))
        operation.state = .pool(job)
        BlockingPool.shared.submit(job)
    }

    // MARK: Completion

    func finish(_ operation: EmulatedOperation, result: Int32) {
        guard operations.removeValue(forKey: operation.id) != nil else { return }
        operation.state = .finished
        if !(operation.skipSuccess && result >= 0) {
            post(operation.userData, result)
        }
        if let guardID = operation.linkTimeout, let guardTimer = operations.removeValue(forKey: guardID) {
            // The operation ended first: its linked timeout is cancelled.
            guardTimer.state = .finished
            post(guardTimer.userData, -ECANCELED)
        }
        if let guarded = operation.guarded, let target = operations[guarded] {
            target.linkTimeout = nil
        }
        if !operation.chain.isEmpty {
            if result >= 0 {
                startChain(operation.chain[...])
            } else {
                failChain(operation.chain[...], result: -ECANCELED)
            }
        }
    }

    func post(_ userData: UInt64, _ result: Int32, flags: UInt32 = 0) {
        ready.append(Completion(userData: userData, result: result, flags: flags))
    }
}
