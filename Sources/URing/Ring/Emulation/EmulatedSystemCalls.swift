// The Linux calls the io_uring emulator needs that Swift's Glibc module does not import
// (they sit behind _GNU_SOURCE or in <sys/epoll.h>, which the module leaves out):
// looked up once with dlsym, plus the few constants, each naming its header.

import Glibc

enum EmulatedSystemCalls {
    // <sys/epoll.h>
    static let epollCloseOnExec = Int32(O_CLOEXEC)  // EPOLL_CLOEXEC == O_CLOEXEC
    static let epollAdd: Int32 = 1  // EPOLL_CTL_ADD
    static let epollDelete: Int32 = 2  // EPOLL_CTL_DEL
    static let epollModify: Int32 = 3  // EPOLL_CTL_MOD
    static let epollIn: UInt32 = 0x001  // EPOLLIN (== POLLIN)
    static let epollOut: UInt32 = 0x004  // EPOLLOUT (== POLLOUT)
    static let epollError: UInt32 = 0x008  // EPOLLERR
    static let epollHangUp: UInt32 = 0x010  // EPOLLHUP
    static let epollOneShot: UInt32 = 1 << 30  // EPOLLONESHOT
    // <bits/socket.h>: this call only, do not block (MSG_DONTWAIT).
    static let messageDontWait: Int32 = 0x40
    // <linux/fs.h>: preadv2/pwritev2 fail with EAGAIN instead of blocking.
    static let readWriteNoWait: Int32 = 0x0000_0008  // RWF_NOWAIT

    /// struct epoll_event: packed (12 bytes) on x86_64, naturally aligned (16) elsewhere.
    #if arch(x86_64)
    static let epollEventSize = 12
    static let epollDataOffset = 4
    #else
    static let epollEventSize = 16
    static let epollDataOffset = 8
    #endif

    private typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    private typealias EpollControl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias Accept4 = @convention(c) (
        Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32
    ) -> Int32
    private typealias ReadWriteV2 = @convention(c) (Int32, UnsafePointer<iovec>?, Int32, Int64, Int32) -> Int
    private typealias Fallocate = @convention(c) (Int32, Int32, Int64, Int64) -> Int32
    private typealias Renameat2 = @convention(c) (
        Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32
    ) -> Int32
    private typealias Statx = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UInt32, UnsafeMutableRawPointer?) -> Int32

    // Safety: the process's own handle, written once here and only read after.
    nonisolated(unsafe) private static let library = dlopen(nil, RTLD_NOW)

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let pointer = dlsym(library, name) else { return nil }
        // Safety: `name` is a libc function whose C prototype `Function` mirrors.
        return unsafeBitCast(pointer, to: type)
    }

    private static let epollCreate1Function = symbol("epoll_create1", as: EpollCreate1.self)
    private static let epollControlFunction = symbol("epoll_ctl", as: EpollControl.self)
    private static let epollWaitFunction = symbol("epoll_wait", as: EpollWait.self)
    private static let accept4Function = symbol("accept4", as: Accept4.self)
    private static let preadv2Function = symbol("preadv2", as: ReadWriteV2.self)
    private static let pwritev2Function = symbol("pwritev2", as: ReadWriteV2.self)
    private static let fallocateFunction = symbol("fallocate64", as: Fallocate.self)
    private static let renameat2Function = symbol("renameat2", as: Renameat2.self)
    private static let statxFunction = symbol("statx", as: Statx.self)

    /// Each call returns the C result; failures leave `errno` set, as the C call does.
    static func epollCreate() -> Int32 {
        guard let call = epollCreate1Function else { errno = ENOSYS; return -1 }
        return call(epollCloseOnExec)
    }

    static func epollControl(_ epoll: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        guard let call = epollControlFunction else { errno = ENOSYS; return -1 }
        var event = (UInt64(0), UInt64(0))
        // Safety: `event` is 16 bytes, enough for struct epoll_event on every architecture.
        return withUnsafeMutableBytes(of: &event) { bytes in
            bytes.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: data, toByteOffset: epollDataOffset, as: UInt64.self)
            return call(epoll, operation, fd, bytes.baseAddress)
        }
    }

    /// epoll_wait into `buffer` (room for `capacity` events of `epollEventSize` bytes).
    static func epollWait(_ epoll: Int32, _ buffer: UnsafeMutableRawPointer, capacity: Int32, timeoutMilliseconds: Int32) -> Int32 {
        guard let call = epollWaitFunction else { errno = ENOSYS; return -1 }
        return call(epoll, buffer, capacity, timeoutMilliseconds)
    }

    /// Event `index` of an epoll_wait result: its event bits and data.
    static func epollEvent(in buffer: UnsafeMutableRawPointer, at index: Int) -> (events: UInt32, data: UInt64) {
        let base = buffer + index * epollEventSize
        return (base.loadUnaligned(as: UInt32.self), (base + epollDataOffset).loadUnaligned(as: UInt64.self))
    }

    static func accept4(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?,
        _ flags: Int32
    ) -> Int32 {
        guard let call = accept4Function else { errno = ENOSYS; return -1 }
        return call(fd, address, length, flags)
    }

    /// preadv2 with RWF_NOWAIT; ENOSYS where libc lacks it (callers then poll and read).
    static func readNoWait(_ fd: Int32, _ vectors: UnsafePointer<iovec>?, _ count: Int32, at offset: Int64) -> Int {
        guard let call = preadv2Function else { errno = EOPNOTSUPP; return -1 }
        return call(fd, vectors, count, offset, readWriteNoWait)
    }

    static func writeNoWait(_ fd: Int32, _ vectors: UnsafePointer<iovec>?, _ count: Int32, at offset: Int64) -> Int {
        guard let call = pwritev2Function else { errno = EOPNOTSUPP; return -1 }
        return call(fd, vectors, count, offset, readWriteNoWait)
    }

    static func fallocate(_ fd: Int32, mode: Int32, offset: Int64, length: Int64) -> Int32 {
        guard let call = fallocateFunction else { errno = ENOSYS; return -1 }
        return call(fd, mode, offset, length)
    }

    static func renameat2(
        _ oldDirectory: Int32, _ oldPath: UnsafePointer<CChar>?, _ newDirectory: Int32, _ newPath: UnsafePointer<CChar>?,
        flags: UInt32
    ) -> Int32 {
        if flags == 0 { return renameat(oldDirectory, oldPath, newDirectory, newPath) }
        guard let call = renameat2Function else { errno = EINVAL; return -1 }
        return call(oldDirectory, oldPath, newDirectory, newPath, flags)
    }

    static func statx(
        _ directory: Int32, _ path: UnsafePointer<CChar>?, flags: Int32, mask: UInt32, into buffer: UnsafeMutableRawPointer?
    ) -> Int32 {
        guard let call = statxFunction else { errno = ENOSYS; return -1 }
        return call(directory, path, flags, mask, buffer)
    }
}
