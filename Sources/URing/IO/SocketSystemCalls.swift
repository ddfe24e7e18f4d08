// The socket syscalls that are not I/O waits (socket, bind, listen, setsockopt,
// getsockname, getpeername): plain syscalls, wrapped here in one place. Each failure
// becomes an `Errno`; EINTR cannot happen for these on Linux (none of them blocks).
// Every descriptor is created with SOCK_CLOEXEC and left in blocking mode: io_uring
// does the waiting, so no O_NONBLOCK is needed.

import CLiburing
import Glibc

enum SocketSystemCalls {
    /// socket(2) with SOCK_CLOEXEC.
    static func makeSocket(domain: Int32, type: __socket_type) throws(Errno) -> FileDescriptor {
        let fd = Glibc.socket(domain, Int32(type.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        return FileDescriptor(rawValue: fd)
    }

    static func bind(_ fd: FileDescriptor, to address: SocketAddress) throws(Errno) {
        let status = address.withSockAddr { Glibc.bind(fd.rawValue, $0, $1) }
        guard status == 0 else { throw Errno(rawValue: errno) }
    }

    static func listen(_ fd: FileDescriptor, backlog: Int32) throws(Errno) {
        guard Glibc.listen(fd.rawValue, backlog) == 0 else { throw Errno(rawValue: errno) }
    }

    static func setOption(_ fd: FileDescriptor, level: Int32, name: Int32, value: Int32) throws(Errno) {
        var value = value
        guard setsockopt(fd.rawValue, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw Errno(rawValue: errno)
        }
    }

    static func option(_ fd: FileDescriptor, level: Int32, name: Int32) throws(Errno) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, level, name, &value, &length) == 0 else { throw Errno(rawValue: errno) }
        return value
    }

    static func localAddress(_ fd: FileDescriptor) throws(Errno) -> SocketAddress {
        try address(fd, getsockname)
    }

    static func peerAddress(_ fd: FileDescriptor) throws(Errno) -> SocketAddress {
        try address(fd, getpeername)
    }

    private static func address(
        _ fd: FileDescriptor,
        _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) throws(Errno) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // Safety: `storage` is a local the kernel fills up to `length` bytes.
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd.rawValue, $0, &length) }
        }
        guard status == 0 else { throw Errno(rawValue: errno) }
        guard let address = SocketAddress(storage: &storage, length: length) else { throw Errno.addressFamilyNotSupported }
        return address
    }
}
