// A sockaddr_storage and its length on the heap, for operations whose SQE points at an
// address (connect reads it, recvmsg fills it): the slot keeps the buffer alive until
// the operation's last CQE, since the caller's stack cannot be pinned across an await.

import Glibc

final class SocketAddressBuffer: @unchecked Sendable {
    // @unchecked: written before submission or by the kernel before the CQE; read only
    // after the CQE, on the caller's task.
    let storage: UnsafeMutablePointer<sockaddr_storage>
    let length: UnsafeMutablePointer<socklen_t>

    /// Room for any address (recvmsg, accept).
    init() {
        // Safety: allocated and initialised here, freed in deinit; the slot keeps this
        // object alive until the CQE, so the kernel never touches freed memory.
        storage = .allocate(capacity: 1)
        storage.initialize(to: sockaddr_storage())
        length = .allocate(capacity: 1)
        length.initialize(to: socklen_t(MemoryLayout<sockaddr_storage>.size))
    }

    deinit {
        storage.deallocate()
        length.deallocate()
    }

    var socketAddress: UnsafeMutablePointer<sockaddr> {
        // Safety: every sockaddr_* starts with the sockaddr header; storage is big enough.
        UnsafeMutableRawPointer(storage).assumingMemoryBound(to: sockaddr.self)
    }
}
