// Registering files, buffers and an eventfd with a ring (IORING_REGISTER_*). A kernel
// ring only: an emulated ring refuses each with EINVAL, so callers take their plain path.
// Owner thread only, like the rest of Ring.

import CLiburing
import Glibc

extension Ring {
    /// Registers `files`; SQEs with `.fixedFile` then name them by index.
    public mutating func registerFiles(_ files: [FileDescriptor]) throws(Errno) {
        try refuseIfEmulated()
        let raw = files.map(\.rawValue)
        try checkedResult(io_uring_register_files(ring, raw, UInt32(raw.count)))
    }

    /// Sets up an empty file table of `count` slots, filled later by `updateRegisteredFile`.
    ///
    /// - Throws: the kernel's `Errno` (EMFILE above RLIMIT_NOFILE); EINVAL on an emulated ring.
    public mutating func registerSparseFiles(count: Int) throws(Errno) {
        try refuseIfEmulated()
        try checkedResult(io_uring_register_files_sparse(ring, UInt32(count)))
    }

    /// Puts `descriptor` in slot `index` of the file table (-1 empties the slot; the
    /// kernel drops its reference to the file once operations using it have ended).
    public mutating func updateRegisteredFile(at index: Int, to descriptor: Int32) throws(Errno) {
        try refuseIfEmulated()
        var descriptor = descriptor
        try checkedResult(io_uring_register_files_update(ring, UInt32(index), &descriptor, 1))
    }

    /// Removes the file table `registerFiles` installed.
    ///
    /// - Throws: the kernel's `Errno` (ENXIO when no table is registered); EINVAL on an
    ///   emulated ring, which has no registrations.
    public mutating func unregisterFiles() throws(Errno) {
        try refuseIfEmulated()
        try checkedResult(io_uring_unregister_files(ring))
    }

    /// Registers `buffers` for READ_FIXED/WRITE_FIXED; the memory must outlive the registration.
    public mutating func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) throws(Errno) {
        try refuseIfEmulated()
        let iovecs = buffers.map { iovec(iov_base: $0.baseAddress, iov_len: $0.count) }
        try checkedResult(io_uring_register_buffers(ring, iovecs, UInt32(iovecs.count)))
    }

    /// Removes the buffers `registerBuffers` installed; their memory is the caller's again
    /// once this returns.
    ///
    /// - Throws: the kernel's `Errno` (ENXIO when none are registered); EINVAL on an emulated
    ///   ring, which has no registrations.
    public mutating func unregisterBuffers() throws(Errno) {
        try refuseIfEmulated()
        try checkedResult(io_uring_unregister_buffers(ring))
    }

    /// Registers `eventFD` to be signalled whenever this ring posts a CQE.
    public mutating func registerEventFD(_ eventFD: FileDescriptor) throws(Errno) {
        try refuseIfEmulated()
        try checkedResult(io_uring_register_eventfd(ring, eventFD.rawValue))
    }
}
