// Registering a provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19). The
// descriptor memory is the caller's (ReceiveBufferPool maps it); the ring only tells the
// kernel where it is.

import CLiburing

extension Ring {
    /// Registers the buffer-descriptor ring described by `registration`.
    ///
    /// - Throws: the kernel's errno (EINVAL on kernels before 5.19, EEXIST for a group
    ///   that is taken).
    mutating func registerBufferRing(_ registration: inout io_uring_buf_reg) throws(Errno) {
        try refuseIfEmulated()
        try checkedResult(io_uring_register_buf_ring(ring, &registration, 0))
    }

    /// Unregisters `group`'s buffer ring; the kernel stops using its memory.
    mutating func unregisterBufferRing(group: UInt16) {
        guard !isEmulated else { return }
        _ = io_uring_unregister_buf_ring(ring, Int32(group))
    }
}
