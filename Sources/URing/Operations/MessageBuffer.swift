// The heap memory one sendmsg/recvmsg points the kernel at: a msghdr, its single iovec,
// the payload bytes and the peer's address. The slot keeps it alive (keepAlive) until
// the operation's last CQE; `complete` reads it afterwards on the caller's task.

import Glibc

final class MessageBuffer: @unchecked Sendable {
    // @unchecked: filled before submission or by the kernel before the CQE, read only
    // after the CQE on the caller's task; never touched by two threads at once.
    let header: UnsafeMutablePointer<msghdr>
    let vector: UnsafeMutablePointer<iovec>
    let payload: UnsafeMutableRawBufferPointer
    let peer: SocketAddressBuffer

    /// A message of `capacity` payload bytes and room for any address; ENOMEM when the
    /// capacity (the caller's `maxCount`) cannot be allocated.
    init(capacity: Int, peer: SocketAddressBuffer = SocketAddressBuffer()) throws {
        // Safety: allocated and initialised here, freed in deinit, after the last CQE.
        payload = try IOBuffer.allocate(byteCount: max(capacity, 1))
        vector = .allocate(capacity: 1)
        vector.initialize(to: iovec(iov_base: payload.baseAddress, iov_len: capacity))
        header = .allocate(capacity: 1)
        header.initialize(to: msghdr())
        header.pointee.msg_name = UnsafeMutableRawPointer(peer.storage)
        header.pointee.msg_namelen = peer.length.pointee
        header.pointee.msg_iov = vector
        header.pointee.msg_iovlen = 1
        self.peer = peer
    }

    deinit {
        header.deallocate()
        vector.deallocate()
        IOBuffer.free(payload)
    }
}
