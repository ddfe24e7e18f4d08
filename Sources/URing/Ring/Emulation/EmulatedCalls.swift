// The system calls behind each emulated SQE: the ones that must not block (tried on
// the ring's owner thread, retried when epoll reports readiness) and the blocking file
// calls (run on pool threads). Every result is what the CQE carries: a count or fd,
// or -errno. The SQE's pointers are the caller's and stay valid until its CQE, as
// with the kernel.

import CLiburing
import Glibc

enum EmulatedCalls {
    enum Attempt {
        /// Finished with this result.
        case done(Int32)
        /// A multishot result with more to come (accept).
        case more(Int32)
        /// Not ready: wait for these poll events.
        case wouldBlock(UInt32)
    }

    private static func result(_ value: Int) -> Int32 {
        value >= 0 ? Int32(clamping: value) : -errno
    }

    private static func pointer(_ address: UInt64) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(address))
    }

    private static func isWouldBlock(_ code: Int32) -> Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// One non-blocking try of a readiness operation (sockets, pipes, eventfds).
    static func attempt(_ operation: EmulatedOperation) -> Attempt {
        let sqe = operation.sqe
        let fd = sqe.fd
        let readable = EmulatedSystemCalls.epollIn
        let writable = EmulatedSystemCalls.epollOut
        switch operation.opcode {
        case .recv:
            let count = EmulatedSocketCalls.receive(fd, pointer(sqe.addr), Int(sqe.len), flags: Int32(bitPattern: sqe.msg_flags) | EmulatedSystemCalls.messageDontWait)
            return finished(count, waitFor: readable)
        case .send:
            let count = EmulatedSocketCalls.send(fd, pointer(sqe.addr), Int(sqe.len), flags: Int32(bitPattern: sqe.msg_flags) | EmulatedSystemCalls.messageDontWait)
            return finished(count, waitFor: writable)
        case .recvmsg:
            let count = EmulatedSocketCalls.receiveMessage(fd, pointer(sqe.addr), flags: Int32(bitPattern: sqe.msg_flags) | EmulatedSystemCalls.messageDontWait)
            return finished(count, waitFor: readable)
        case .sendmsg:
            let count = EmulatedSocketCalls.sendMessage(fd, pointer(sqe.addr), flags: Int32(bitPattern: sqe.msg_flags) | EmulatedSystemCalls.messageDontWait)
            return finished(count, waitFor: writable)
        case .read, .readv:
            return readOrWrite(sqe, vectored: operation.opcode == .readv, writing: false)
        case .write, .writev:
            return readOrWrite(sqe, vectored: operation.opcode == .writev, writing: true)
        case .accept:
            makeNonBlocking(fd)
            let address = UnsafeMutablePointer<sockaddr>(bitPattern: UInt(sqe.addr))
            let length = UnsafeMutablePointer<socklen_t>(bitPattern: UInt(sqe.off))
            let accepted = EmulatedSystemCalls.accept4(fd, address, length, Int32(bitPattern: sqe.accept_flags))
            if accepted < 0 {
                return isWouldBlock(errno) ? .wouldBlock(readable) : .done(-errno)
            }
            return sqe.ioprio & UInt16(IORING_ACCEPT_MULTISHOT) != 0 ? .more(accepted) : .done(accepted)
        case .connect:
            return connectAttempt(operation)
        default:
            return .done(-EINVAL)
        }
    }

    /// A count, or -errno, as an attempt's outcome.
    private static func finished(_ count: Int, waitFor events: UInt32) -> Attempt {
        if count >= 0 { return .done(Int32(clamping: count)) }
        return isWouldBlock(Int32(-count)) ? .wouldBlock(events) : .done(Int32(count))
    }

    /// READ/WRITE(V) on a pipe, eventfd, socket or tty: preadv2/pwritev2 with RWF_NOWAIT
    /// at the current position (the offset means nothing on a stream, as in io_uring).
    /// Where RWF_NOWAIT is unsupported, a poll that reports readiness comes first and
    /// the call then runs as is (it could block only if another reader raced us).
    private static func readOrWrite(_ sqe: io_uring_sqe, vectored: Bool, writing: Bool) -> Attempt {
        var single = iovec(iov_base: pointer(sqe.addr), iov_len: Int(sqe.len))
        let wanted = writing ? EmulatedSystemCalls.epollOut : EmulatedSystemCalls.epollIn
        return withUnsafePointer(to: &single) { singlePointer in
            let vectors = vectored ? UnsafePointer<iovec>(bitPattern: UInt(sqe.addr)) : singlePointer
            let count = vectored ? Int32(bitPattern: sqe.len) : 1
            let done =
                writing
                ? EmulatedSystemCalls.writeNoWait(sqe.fd, vectors, count, at: -1)
                : EmulatedSystemCalls.readNoWait(sqe.fd, vectors, count, at: -1)
            if done >= 0 { return .done(Int32(clamping: done)) }
            if isWouldBlock(errno) { return .wouldBlock(wanted) }
            guard errno == EOPNOTSUPP else { return .done(-errno) }
            var entry = pollfd(fd: sqe.fd, events: Int16(writing ? POLLOUT : POLLIN), revents: 0)
            guard poll(&entry, 1, 0) == 1 else { return .wouldBlock(wanted) }
            let plain = writing ? writev(sqe.fd, vectors, count) : readv(sqe.fd, vectors, count)
            return .done(result(plain))
        }
    }

    /// connect(2) on a socket made non-blocking: EINPROGRESS waits for writability, and
    /// then SO_ERROR is the result.
    private static func connectAttempt(_ operation: EmulatedOperation) -> Attempt {
        let sqe = operation.sqe
        if operation.connectStarted {
            let error = EmulatedSocketCalls.pendingError(sqe.fd)
            if error != 0 { return .done(Int32(error)) }
            // Writable with no error: connected, unless still going (a spurious wake-up).
            let peer = EmulatedSocketCalls.hasPeer(sqe.fd)
            if peer == 0 { return .done(0) }
            return peer == -Int(ENOTCONN) ? .wouldBlock(EmulatedSystemCalls.epollOut) : .done(Int32(peer))
        }
        makeNonBlocking(sqe.fd)
        let status = EmulatedSocketCalls.connect(sqe.fd, UnsafeRawPointer(pointer(sqe.addr)), UInt32(truncatingIfNeeded: sqe.off))
        switch status {
        case 0:
            return .done(0)
        case -Int(EINPROGRESS):
            operation.connectStarted = true
            return .wouldBlock(EmulatedSystemCalls.epollOut)
        case -Int(EAGAIN):
            // A Unix socket whose listener's backlog is full: try again when writable.
            return .wouldBlock(EmulatedSystemCalls.epollOut)
        default:
            return .done(Int32(status))
        }
    }

    /// SHUTDOWN: shutdown(2) never blocks, so it runs inline.
    static func shutdownSocket(_ fd: Int32, how: Int32) -> Int32 {
        Int32(EmulatedSocketCalls.shutdown(fd, how: how))
    }

    /// Sets O_NONBLOCK on a socket the emulator must accept on or connect (those calls
    /// have no per-call flag); a blocking one would stall the ring's owner thread.
    private static func makeNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 && flags & O_NONBLOCK == 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// A READ(V) of a regular file served from the page cache without blocking; nil when
    /// it would block or come back short (the pool then does the whole read).
    static func cachedRead(_ sqe: io_uring_sqe) -> Int32? {
        guard sqe.off != UInt64.max else { return nil }  // current position: keep it on one path
        var single = iovec(iov_base: pointer(sqe.addr), iov_len: Int(sqe.len))
        let wanted: Int
        let count: Int
        if sqe.opcode == Opcode.readv.rawValue {
            guard let vectors = UnsafePointer<iovec>(bitPattern: UInt(sqe.addr)) else { return nil }
            wanted = UnsafeBufferPointer(start: vectors, count: Int(sqe.len)).reduce(0) { $0 + $1.iov_len }
            count = EmulatedSystemCalls.readNoWait(sqe.fd, vectors, Int32(bitPattern: sqe.len), at: Int64(bitPattern: sqe.off))
        } else {
            wanted = Int(sqe.len)
            count = EmulatedSystemCalls.readNoWait(sqe.fd, &single, 1, at: Int64(bitPattern: sqe.off))
        }
        return count == wanted ? Int32(clamping: count) : nil
    }

    /// syscall(2), looked up once: variadic, so Swift does not import it. Its arguments
    /// are all registers-sized integers here, passed as the C ABI passes them.
    private typealias SystemCall = @convention(c) (Int, Int, Int, Int, Int) -> Int
    private static let systemCall: SystemCall? = {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), "syscall") else { return nil }
        // Safety: libc's syscall(long, ...) takes and returns longs; with integer arguments
        // only, x86_64 and aarch64 Linux pass them exactly as this fixed prototype does.
        return unsafeBitCast(pointer, to: SystemCall.self)
    }()

    /// openat2(2) has no glibc wrapper on these systems: syscall number 437 (the same on
    /// every architecture, being newer than the table unification).
    private static func openat2(_ directory: Int32, _ path: UnsafePointer<CChar>, how: UnsafeRawPointer?, size: Int) -> Int {
        guard let call = systemCall else { errno = ENOSYS; return -1 }
        return call(437, Int(directory), Int(bitPattern: path), Int(bitPattern: how), size)
    }

    /// The blocking call for a file SQE, to run on a pool thread.
    static func blockingCall(_ sqe: io_uring_sqe) -> () -> Int32 {
        { perform(sqe) }
    }

    private static func perform(_ sqe: io_uring_sqe) -> Int32 {
        let fd = sqe.fd
        let offset = Int64(bitPattern: sqe.off)
        let atPosition = sqe.off == UInt64.max
        while true {
            let value: Int
            switch Opcode(rawValue: sqe.opcode) {
            case .read:
                value = atPosition ? read(fd, pointer(sqe.addr), Int(sqe.len)) : pread(fd, pointer(sqe.addr), Int(sqe.len), Int(offset))
            case .write:
                value = atPosition ? write(fd, pointer(sqe.addr), Int(sqe.len)) : pwrite(fd, pointer(sqe.addr), Int(sqe.len), Int(offset))
            case .readv:
                let vectors = UnsafePointer<iovec>(bitPattern: UInt(sqe.addr))
                let count = Int32(bitPattern: sqe.len)
                value = atPosition ? readv(fd, vectors, count) : preadv(fd, vectors, count, Int(offset))
            case .writev:
                let vectors = UnsafePointer<iovec>(bitPattern: UInt(sqe.addr))
                let count = Int32(bitPattern: sqe.len)
                value = atPosition ? writev(fd, vectors, count) : pwritev(fd, vectors, count, Int(offset))
            case .fsync:
                value = Int(sqe.fsync_flags & IORING_FSYNC_DATASYNC != 0 ? fdatasync(fd) : fsync(fd))
            case .fallocate:
                value = Int(EmulatedSystemCalls.fallocate(fd, mode: Int32(bitPattern: sqe.len), offset: offset, length: Int64(bitPattern: sqe.addr)))
            case .openat:
                guard let path = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)) else { return -EFAULT }
                value = Int(openat(fd, path, Int32(bitPattern: sqe.open_flags), mode_t(sqe.len)))
            case .openat2:
                guard let path = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)) else { return -EFAULT }
                value = openat2(fd, path, how: UnsafeRawPointer(bitPattern: UInt(sqe.off)), size: Int(sqe.len))
            case .statx:
                let path = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr))
                value = Int(EmulatedSystemCalls.statx(fd, path, flags: Int32(bitPattern: sqe.statx_flags), mask: sqe.len, into: pointer(sqe.off)))
            case .unlinkat:
                guard let path = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)) else { return -EFAULT }
                value = Int(unlinkat(fd, path, Int32(bitPattern: sqe.unlink_flags)))
            case .renameat:
                value = Int(EmulatedSystemCalls.renameat2(
                    fd, UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)), Int32(bitPattern: sqe.len),
                    UnsafePointer<CChar>(bitPattern: UInt(sqe.off)), flags: sqe.rename_flags))
            case .symlinkat:
                guard let target = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)),
                    let link = UnsafePointer<CChar>(bitPattern: UInt(sqe.off))
                else { return -EFAULT }
                value = Int(symlinkat(target, fd, link))
            case .linkat:
                guard let old = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)),
                    let new = UnsafePointer<CChar>(bitPattern: UInt(sqe.off))
                else { return -EFAULT }
                value = Int(linkat(fd, old, Int32(bitPattern: sqe.len), new, Int32(bitPattern: sqe.hardlink_flags)))
            case .mkdirat:
                guard let path = UnsafePointer<CChar>(bitPattern: UInt(sqe.addr)) else { return -EFAULT }
                value = Int(mkdirat(fd, path, mode_t(sqe.len)))
            default:
                return -EINVAL
            }
            if value >= 0 { return Int32(clamping: value) }
            // io_uring restarts what a signal interrupts; so does the pool.
            if errno != EINTR { return -errno }
        }
    }
}
