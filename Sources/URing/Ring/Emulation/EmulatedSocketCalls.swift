// The socket calls of the io_uring emulation, kept in a file that imports only Glibc:
// referencing <sys/socket.h> functions from a file that also imports CLiburing (whose
// liburing.h includes that header under _GNU_SOURCE) made the compiler lose
// SOCK_STREAM in other files of the module (Swift 6.3).

import Glibc

enum EmulatedSocketCalls {
    /// Each returns the count/status, or -errno.
    static func receive(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ length: Int, flags: Int32) -> Int {
        checked(recv(fd, buffer, length, flags))
    }

    static func send(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ length: Int, flags: Int32) -> Int {
        checked(Glibc.send(fd, buffer, length, flags))
    }

    static func receiveMessage(_ fd: Int32, _ message: UnsafeMutableRawPointer?, flags: Int32) -> Int {
        checked(recvmsg(fd, message?.assumingMemoryBound(to: msghdr.self), flags))
    }

    static func sendMessage(_ fd: Int32, _ message: UnsafeRawPointer?, flags: Int32) -> Int {
        checked(sendmsg(fd, message?.assumingMemoryBound(to: msghdr.self), flags))
    }

    static func connect(_ fd: Int32, _ address: UnsafeRawPointer?, _ length: UInt32) -> Int {
        checked(Int(Glibc.connect(fd, address?.assumingMemoryBound(to: sockaddr.self), socklen_t(length))))
    }

    /// SO_ERROR: 0, or the pending error as -errno.
    static func pendingError(_ fd: Int32) -> Int {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return -Int(errno) }
        return -Int(error)
    }

    /// 0 if the socket has a peer, else -errno (ENOTCONN while a connect is in progress).
    static func hasPeer(_ fd: Int32) -> Int {
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // Safety: `peer` is a local the kernel fills up to `length` bytes.
        let status = withUnsafeMutablePointer(to: &peer) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return checked(Int(status))
    }

    static func shutdown(_ fd: Int32, how: Int32) -> Int {
        checked(Int(Glibc.shutdown(fd, how)))
    }

    private static func checked(_ value: Int) -> Int { value >= 0 ? value : -Int(errno) }
}
