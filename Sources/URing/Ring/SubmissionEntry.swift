// Typed preparation of one SQE.
//
// A SubmissionEntry is a view of an SQE the Ring handed out; it is valid until the next
// submit of that ring. Every pointer stored into it (buffers, paths, iovecs, timespecs,
// sockaddrs) must stay valid until the operation's CQE arrives: the caller (in the
// runtime, the operation's slot) owns that memory. Lengths are UInt32 in the SQE, so
// the preparers take already-validated lengths; the public API splits or rejects larger.

import CLiburing
import Glibc

/// IOSQE_* flags of a submission.
@_spi(URingInternals)
public struct SubmissionFlags: OptionSet, Sendable {
    /// The IOSQE_* bits, as the SQE's `flags` byte holds them.
    public let rawValue: UInt8
    /// The flags whose IOSQE_* bits are set in `rawValue`.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The fd is an index into the registered file table.
    public static let fixedFile = SubmissionFlags(rawValue: CURING_IOSQE_FIXED_FILE)
    /// Start only after every earlier submission completed.
    public static let drain = SubmissionFlags(rawValue: CURING_IOSQE_IO_DRAIN)
    /// The next SQE starts only after this one succeeds (a link timeout guards it).
    public static let link = SubmissionFlags(rawValue: CURING_IOSQE_IO_LINK)
    /// Go straight to the async worker pool instead of trying inline first.
    public static let async = SubmissionFlags(rawValue: CURING_IOSQE_ASYNC)
    /// The kernel picks a buffer from the entry's buffer group.
    public static let bufferSelect = SubmissionFlags(rawValue: CURING_IOSQE_BUFFER_SELECT)
    /// Post no CQE if the operation succeeds.
    public static let skipSuccessCompletion = SubmissionFlags(rawValue: CURING_IOSQE_CQE_SKIP_SUCCESS)
}

/// One submission queue entry, being prepared.
@_spi(URingInternals)
public struct SubmissionEntry {
    @usableFromInline let sqe: UnsafeMutablePointer<io_uring_sqe>

    @usableFromInline init(_ sqe: UnsafeMutablePointer<io_uring_sqe>) { self.sqe = sqe }

    /// The tag the operation's CQE carries back.
    @inlinable public var userData: UInt64 {
        get { sqe.pointee.user_data }
        nonmutating set { sqe.pointee.user_data = newValue }
    }

    /// IOSQE_* flags; preparers reset them, so set flags after preparing.
    @inlinable public var flags: SubmissionFlags {
        get { SubmissionFlags(rawValue: sqe.pointee.flags) }
        nonmutating set { sqe.pointee.flags = newValue.rawValue }
    }

    /// The provided-buffer group a `bufferSelect` submission draws from.
    @inlinable public var bufferGroup: UInt16 {
        get { sqe.pointee.buf_group }
        nonmutating set { sqe.pointee.buf_group = newValue }
    }

    /// Names slot `index` of the ring's registered file table instead of the descriptor
    /// the preparer set (IOSQE_FIXED_FILE). Call after preparing.
    @inlinable public func useRegisteredFile(_ index: Int) {
        sqe.pointee.fd = Int32(truncatingIfNeeded: index)
        sqe.pointee.flags |= SubmissionFlags.fixedFile.rawValue
    }

    // MARK: Files

    /// IORING_OP_NOP: completes with result 0 without doing anything.
    @inlinable public func nop() {
        io_uring_prep_nop(sqe)
    }

    /// Reads into `buffer` at `offset` (`UInt64.max`: the file's current position).
    @inlinable public func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) {
        io_uring_prep_read(sqe, fd.rawValue, buffer.baseAddress, UInt32(buffer.count), offset)
    }

    /// Writes `buffer` at `offset` (`UInt64.max`: the file's current position).
    @inlinable public func write(_ fd: FileDescriptor, from buffer: UnsafeRawBufferPointer, at offset: UInt64) {
        io_uring_prep_write(sqe, fd.rawValue, buffer.baseAddress, UInt32(buffer.count), offset)
    }

    /// Reads into a buffer registered at `bufferIndex`; `buffer` must lie inside it.
    @inlinable public func readFixed(
        _ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, bufferIndex: UInt16
    ) {
        io_uring_prep_read_fixed(sqe, fd.rawValue, buffer.baseAddress, UInt32(buffer.count), offset, Int32(bufferIndex))
    }

    /// Writes from a buffer registered at `bufferIndex`; `buffer` must lie inside it.
    @inlinable public func writeFixed(
        _ fd: FileDescriptor, from buffer: UnsafeRawBufferPointer, at offset: UInt64, bufferIndex: UInt16
    ) {
        io_uring_prep_write_fixed(sqe, fd.rawValue, buffer.baseAddress, UInt32(buffer.count), offset, Int32(bufferIndex))
    }

    /// readv(2) into the buffers `iovecs` describes, at `offset` (`UInt64.max`: the file's
    /// current position). The iovec array and every buffer must stay valid until the CQE.
    @inlinable public func readv(_ fd: FileDescriptor, _ iovecs: UnsafeBufferPointer<iovec>, at offset: UInt64) {
        io_uring_prep_readv(sqe, fd.rawValue, iovecs.baseAddress, UInt32(iovecs.count), offset)
    }

    /// writev(2) from the buffers `iovecs` describes, at `offset` (`UInt64.max`: the file's
    /// current position). The iovec array and every buffer must stay valid until the CQE.
    @inlinable public func writev(_ fd: FileDescriptor, _ iovecs: UnsafeBufferPointer<iovec>, at offset: UInt64) {
        io_uring_prep_writev(sqe, fd.rawValue, iovecs.baseAddress, UInt32(iovecs.count), offset)
    }

    /// fsync, or fdatasync when `dataOnly`.
    @inlinable public func fsync(_ fd: FileDescriptor, dataOnly: Bool = false) {
        io_uring_prep_fsync(sqe, fd.rawValue, dataOnly ? IORING_FSYNC_DATASYNC : 0)
    }

    /// fallocate(2) with `mode` (FALLOC_FL_* bits) over `length` bytes from `offset`.
    @inlinable public func fallocate(_ fd: FileDescriptor, mode: Int32, offset: Int64, length: Int64) {
        io_uring_prep_fallocate(sqe, fd.rawValue, mode, off_t(offset), off_t(length))
    }

    /// openat(2); `directory` nil means AT_FDCWD.
    @inlinable public func openat(
        _ path: UnsafePointer<CChar>, relativeTo directory: FileDescriptor?, flags: Int32, mode: mode_t
    ) {
        io_uring_prep_openat(sqe, directory?.rawValue ?? AT_FDCWD, path, flags, mode)
    }

    /// openat2(2): `how` carries the O_* flags, the mode and the RESOLVE_* flags; it must
    /// stay valid until the CQE. `directory` nil means AT_FDCWD.
    @inlinable public func openat2(
        _ path: UnsafePointer<CChar>, relativeTo directory: FileDescriptor?, how: UnsafeMutablePointer<open_how>
    ) {
        io_uring_prep_openat2(sqe, directory?.rawValue ?? AT_FDCWD, path, how)
    }

    /// close(2) of `fd`; the CQE's result is close's (0, or -errno).
    @inlinable public func close(_ fd: FileDescriptor) {
        io_uring_prep_close(sqe, fd.rawValue)
    }

    /// statx(2) of `path` (relative to `directory`, AT_FDCWD when nil), asking for `mask`
    /// (STATX_*) with `flags` (AT_*); the kernel writes `result`, which must stay valid (as
    /// must `path`) until the CQE.
    @inlinable public func statx(
        _ path: UnsafePointer<CChar>, relativeTo directory: FileDescriptor?, flags: Int32, mask: UInt32,
        into result: UnsafeMutablePointer<statx>
    ) {
        io_uring_prep_statx(sqe, directory?.rawValue ?? AT_FDCWD, path, flags, mask, result)
    }

    /// unlinkat(2) of `path` (relative to `directory`, AT_FDCWD when nil); `flags`
    /// AT_REMOVEDIR removes a directory. `path` must stay valid until the CQE.
    @inlinable public func unlinkat(_ path: UnsafePointer<CChar>, relativeTo directory: FileDescriptor?, flags: Int32) {
        io_uring_prep_unlinkat(sqe, directory?.rawValue ?? AT_FDCWD, path, flags)
    }

    /// renameat2(2) of `oldPath` to `newPath` (each relative to its directory, AT_FDCWD
    /// when nil); `flags` takes RENAME_* bits. Both paths must stay valid until the CQE.
    @inlinable public func renameat(
        _ oldPath: UnsafePointer<CChar>, relativeTo oldDirectory: FileDescriptor?,
        to newPath: UnsafePointer<CChar>, relativeTo newDirectory: FileDescriptor?, flags: UInt32
    ) {
        io_uring_prep_renameat(
            sqe, oldDirectory?.rawValue ?? AT_FDCWD, oldPath, newDirectory?.rawValue ?? AT_FDCWD, newPath, flags)
    }

    /// mkdirat(2) of `path` (relative to `directory`, AT_FDCWD when nil) with `mode`, which
    /// the process umask narrows. `path` must stay valid until the CQE.
    @inlinable public func mkdirat(_ path: UnsafePointer<CChar>, relativeTo directory: FileDescriptor?, mode: mode_t) {
        io_uring_prep_mkdirat(sqe, directory?.rawValue ?? AT_FDCWD, path, mode)
    }

    /// symlinkat(2): a symbolic link at `linkPath` whose contents are `target`.
    @inlinable public func symlinkat(
        _ target: UnsafePointer<CChar>, at linkPath: UnsafePointer<CChar>, relativeTo directory: FileDescriptor?
    ) {
        io_uring_prep_symlinkat(sqe, target, directory?.rawValue ?? AT_FDCWD, linkPath)
    }

    /// linkat(2): a new name `newPath` for the file at `oldPath`; `flags` takes
    /// AT_SYMLINK_FOLLOW.
    @inlinable public func linkat(
        _ oldPath: UnsafePointer<CChar>, relativeTo oldDirectory: FileDescriptor?,
        to newPath: UnsafePointer<CChar>, relativeTo newDirectory: FileDescriptor?, flags: Int32
    ) {
        io_uring_prep_linkat(
            sqe, oldDirectory?.rawValue ?? AT_FDCWD, oldPath, newDirectory?.rawValue ?? AT_FDCWD, newPath, flags)
    }

    // MARK: Timers and cancellation

    /// Completes with ETIME when `time` (relative, CLOCK_MONOTONIC) passes, or with 0
    /// after `completions` other CQEs (0: time only; a kernel ring only, not emulated).
    @inlinable public func timeout(_ time: UnsafeMutablePointer<__kernel_timespec>, completions: UInt32 = 0) {
        io_uring_prep_timeout(sqe, time, completions, 0)
    }

    /// Bounds the SQE linked before this one (which must carry `.link`).
    @inlinable public func linkTimeout(_ time: UnsafeMutablePointer<__kernel_timespec>) {
        io_uring_prep_link_timeout(sqe, time, 0)
    }

    /// Cancels the operation tagged `target` (IORING_OP_ASYNC_CANCEL).
    @inlinable public func cancel(target: UInt64, flags: Int32 = 0) {
        io_uring_prep_cancel64(sqe, target, flags)
    }

    // MARK: Sockets

    /// accept4(2) on the listening socket `fd` with `flags` (SOCK_CLOEXEC, ...); the CQE's
    /// result is the new descriptor. `address` and `length` (both nil, or both valid until
    /// the last CQE) receive the peer's address. With `multishot` (Linux 5.19) one entry
    /// accepts until cancelled, posting a CQE with IORING_CQE_F_MORE per connection.
    @inlinable public func accept(
        _ fd: FileDescriptor, address: UnsafeMutablePointer<sockaddr>?, length: UnsafeMutablePointer<socklen_t>?,
        flags: Int32, multishot: Bool = false
    ) {
        if multishot {
            io_uring_prep_multishot_accept(sqe, fd.rawValue, address, length, flags)
        } else {
            io_uring_prep_accept(sqe, fd.rawValue, address, length, flags)
        }
    }

    /// connect(2) of the socket `fd` to `address` (`length` bytes), which must stay valid
    /// until the CQE.
    @inlinable public func connect(_ fd: FileDescriptor, address: UnsafePointer<sockaddr>, length: socklen_t) {
        io_uring_prep_connect(sqe, fd.rawValue, address, length)
    }

    /// recv(2) into `buffer`; with `multishot`, the kernel picks buffers from `bufferGroup` (set it).
    @inlinable public func recv(
        _ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer?, flags: Int32, multishot: Bool = false
    ) {
        if multishot {
            io_uring_prep_recv_multishot(sqe, fd.rawValue, buffer?.baseAddress, buffer?.count ?? 0, flags)
        } else {
            io_uring_prep_recv(sqe, fd.rawValue, buffer?.baseAddress, buffer?.count ?? 0, flags)
        }
    }

    /// send(2) of `buffer` on the socket `fd` with `flags` (MSG_*); the CQE's result is the
    /// byte count sent, which may be short. `buffer` must stay valid until the CQE.
    @inlinable public func send(_ fd: FileDescriptor, from buffer: UnsafeRawBufferPointer, flags: Int32) {
        io_uring_prep_send(sqe, fd.rawValue, buffer.baseAddress, buffer.count, flags)
    }

    /// recvmsg(2) on the socket `fd` into what `message` describes; `message`, its iovecs,
    /// buffers and address storage must stay valid until the CQE.
    @inlinable public func recvmsg(_ fd: FileDescriptor, _ message: UnsafeMutablePointer<msghdr>, flags: UInt32) {
        io_uring_prep_recvmsg(sqe, fd.rawValue, message, flags)
    }

    /// sendmsg(2) on the socket `fd` of what `message` describes; `message`, its iovecs,
    /// buffers and address must stay valid until the CQE.
    @inlinable public func sendmsg(_ fd: FileDescriptor, _ message: UnsafePointer<msghdr>, flags: UInt32) {
        io_uring_prep_sendmsg(sqe, fd.rawValue, message, flags)
    }

    /// shutdown(2); `how` is SHUT_RD, SHUT_WR or SHUT_RDWR.
    @inlinable public func shutdown(_ fd: FileDescriptor, how: Int32) {
        io_uring_prep_shutdown(sqe, fd.rawValue, how)
    }

    /// Hands `count` buffers of `length` bytes at `base` to `group`, ids from `firstID`.
    @inlinable public func provideBuffers(
        _ base: UnsafeMutableRawPointer, length: Int32, count: Int32, group: UInt16, firstID: UInt16
    ) {
        io_uring_prep_provide_buffers(sqe, base, length, count, Int32(group), Int32(firstID))
    }
}
