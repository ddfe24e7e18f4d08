// The io_uring operations swift-uring prepares, named, for probing and diagnostics.

import CLiburing

/// An io_uring opcode (IORING_OP_*).
@_spi(URingInternals)
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The opcode's number, the `opcode` byte of a submission entry.
    public let rawValue: UInt8
    /// The opcode with this number; any value is accepted (a kernel that does not know it
    /// completes the entry with -EINVAL).
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    init(_ op: io_uring_op) { rawValue = UInt8(op.rawValue) }

    /// IORING_OP_NOP (Linux 5.1): completes at once with result 0; `URingRuntime.nop()`.
    public static let nop = Opcode(IORING_OP_NOP)
    /// IORING_OP_READV (5.1): readv(2) at an offset; `File.read(into: [buffers], at:)`.
    public static let readv = Opcode(IORING_OP_READV)
    /// IORING_OP_WRITEV (5.1): writev(2) at an offset; `File.write([buffers], at:)`.
    public static let writev = Opcode(IORING_OP_WRITEV)
    /// IORING_OP_FSYNC (5.1): fsync(2), or fdatasync(2) with IORING_FSYNC_DATASYNC; `File.sync()`, `File.syncData()`.
    public static let fsync = Opcode(IORING_OP_FSYNC)
    /// IORING_OP_READ_FIXED (5.1): a read into a buffer registered with the ring.
    public static let readFixed = Opcode(IORING_OP_READ_FIXED)
    /// IORING_OP_WRITE_FIXED (5.1): a write from a buffer registered with the ring.
    public static let writeFixed = Opcode(IORING_OP_WRITE_FIXED)
    /// IORING_OP_POLL_ADD (5.1): waits for readiness events on a descriptor (not used by the runtime).
    public static let pollAdd = Opcode(IORING_OP_POLL_ADD)
    /// IORING_OP_POLL_REMOVE (5.1): cancels a POLL_ADD (not used by the runtime).
    public static let pollRemove = Opcode(IORING_OP_POLL_REMOVE)
    /// IORING_OP_SENDMSG (5.3): sendmsg(2); `UDPSocket.send(_:to:)`.
    public static let sendmsg = Opcode(IORING_OP_SENDMSG)
    /// IORING_OP_RECVMSG (5.3): recvmsg(2); `UDPSocket.receive(maxCount:)`.
    public static let recvmsg = Opcode(IORING_OP_RECVMSG)
    /// IORING_OP_TIMEOUT (5.4): completes with -ETIME when its time passes; ring sleeps and `Task.sleep` on the runtime.
    public static let timeout = Opcode(IORING_OP_TIMEOUT)
    /// IORING_OP_TIMEOUT_REMOVE (5.5): cancels or updates a TIMEOUT (not used by the runtime).
    public static let timeoutRemove = Opcode(IORING_OP_TIMEOUT_REMOVE)
    /// IORING_OP_ACCEPT (5.5): accept4(2), single-shot or multishot (5.19); `TCPListener`.
    public static let accept = Opcode(IORING_OP_ACCEPT)
    /// IORING_OP_ASYNC_CANCEL (5.5): asks the kernel to cancel an operation in flight, found by its user_data; task cancellation and shutdown.
    public static let asyncCancel = Opcode(IORING_OP_ASYNC_CANCEL)
    /// IORING_OP_LINK_TIMEOUT (5.5): cancels the operation linked before it when its time passes; `URingRuntime.withDeadline`.
    public static let linkTimeout = Opcode(IORING_OP_LINK_TIMEOUT)
    /// IORING_OP_CONNECT (5.5): connect(2); `TCPStream.connect(to:deadline:)`.
    public static let connect = Opcode(IORING_OP_CONNECT)
    /// IORING_OP_FALLOCATE (5.6): fallocate(2); `File.allocate(offset:length:mode:)`.
    public static let fallocate = Opcode(IORING_OP_FALLOCATE)
    /// IORING_OP_OPENAT (5.6): openat(2); `File.open`.
    public static let openat = Opcode(IORING_OP_OPENAT)
    /// IORING_OP_CLOSE (5.6): close(2); `close()` of files and sockets.
    public static let close = Opcode(IORING_OP_CLOSE)
    /// IORING_OP_STATX (5.6): statx(2); `File.status()`, `FileSystem.status(of:followSymlinks:)`.
    public static let statx = Opcode(IORING_OP_STATX)
    /// IORING_OP_READ (5.6): read(2) or pread(2) into one buffer; `File.read(into:at:)`.
    public static let read = Opcode(IORING_OP_READ)
    /// IORING_OP_WRITE (5.6): write(2) or pwrite(2) from one buffer; `File.write(_:at:)`.
    public static let write = Opcode(IORING_OP_WRITE)
    /// IORING_OP_SEND (5.6): send(2); `TCPStream.send(_:)`.
    public static let send = Opcode(IORING_OP_SEND)
    /// IORING_OP_RECV (5.6): recv(2), single-shot or multishot into provided buffers (6.0); `TCPStream.receive`.
    public static let recv = Opcode(IORING_OP_RECV)
    /// IORING_OP_PROVIDE_BUFFERS (5.7): hands buffers to the kernel for buffer selection (the runtime registers a buffer ring instead).
    public static let provideBuffers = Opcode(IORING_OP_PROVIDE_BUFFERS)
    /// IORING_OP_SHUTDOWN (5.11): shutdown(2); `TCPStream.shutdown(_:)`.
    public static let shutdown = Opcode(IORING_OP_SHUTDOWN)
    /// IORING_OP_RENAMEAT (5.11): renameat2(2); `FileSystem.rename(_:to:)`.
    public static let renameat = Opcode(IORING_OP_RENAMEAT)
    /// IORING_OP_UNLINKAT (5.11): unlinkat(2); `FileSystem.unlink(_:)`, `FileSystem.removeDirectory(_:)`.
    public static let unlinkat = Opcode(IORING_OP_UNLINKAT)
    /// IORING_OP_MKDIRAT (5.15): mkdirat(2); `FileSystem.createDirectory(_:permissions:)`.
    public static let mkdirat = Opcode(IORING_OP_MKDIRAT)
    /// IORING_OP_SOCKET (5.19): socket(2) (not used by the runtime: sockets are created with a plain call).
    public static let socket = Opcode(IORING_OP_SOCKET)
    /// IORING_OP_OPENAT2 (5.6): openat2(2) with RESOLVE_* flags; `File.open(_:_:options:permissions:beneath:followSymlinks:)`.
    public static let openat2 = Opcode(IORING_OP_OPENAT2)
    /// IORING_OP_SYMLINKAT (5.15): symlinkat(2); `FileSystem.createSymbolicLink(at:to:)`.
    public static let symlinkat = Opcode(IORING_OP_SYMLINKAT)
    /// IORING_OP_LINKAT (5.15): linkat(2); `FileSystem.createHardLink(at:to:)`.
    public static let linkat = Opcode(IORING_OP_LINKAT)

    /// Every opcode swift-uring's file, socket and timer APIs rely on.
    public static let usedByRuntime: [Opcode] = [
        .nop, .read, .write, .readv, .writev, .fsync, .openat, .openat2, .close, .statx, .fallocate,
        .unlinkat, .renameat, .mkdirat, .symlinkat, .linkat, .timeout, .linkTimeout, .asyncCancel,
        .accept, .connect, .recv, .send, .recvmsg, .sendmsg, .shutdown,
    ]

    /// The kernel's name for it, "IORING_OP_READ"; "IORING_OP_" and the number for an
    /// opcode this type does not name.
    public var description: String {
        let names: [Opcode: String] = [
            .nop: "NOP", .readv: "READV", .writev: "WRITEV", .fsync: "FSYNC", .readFixed: "READ_FIXED",
            .writeFixed: "WRITE_FIXED", .pollAdd: "POLL_ADD", .pollRemove: "POLL_REMOVE", .sendmsg: "SENDMSG",
            .recvmsg: "RECVMSG", .timeout: "TIMEOUT", .timeoutRemove: "TIMEOUT_REMOVE", .accept: "ACCEPT",
            .asyncCancel: "ASYNC_CANCEL", .linkTimeout: "LINK_TIMEOUT", .connect: "CONNECT",
            .fallocate: "FALLOCATE", .openat: "OPENAT", .close: "CLOSE", .statx: "STATX", .read: "READ",
            .write: "WRITE", .send: "SEND", .recv: "RECV", .provideBuffers: "PROVIDE_BUFFERS",
            .shutdown: "SHUTDOWN", .renameat: "RENAMEAT", .unlinkat: "UNLINKAT", .mkdirat: "MKDIRAT",
            .socket: "SOCKET", .openat2: "OPENAT2", .symlinkat: "SYMLINKAT", .linkat: "LINKAT",
        ]
        return "IORING_OP_" + (names[self] ?? String(rawValue))
    }
}

/// Which opcodes the running kernel supports (IORING_REGISTER_PROBE).
@_spi(URingInternals)
public struct RingProbe: Sendable {
    /// The highest opcode the kernel knows.
    public let lastOpcode: UInt8
    private let supported: Set<UInt8>

    init(lastOpcode: UInt8, supported: Set<UInt8>) {
        self.lastOpcode = lastOpcode
        self.supported = supported
    }

    /// Whether the kernel can prepare `opcode`; an entry with an unsupported opcode
    /// completes with -EINVAL.
    public func supports(_ opcode: Opcode) -> Bool { supported.contains(opcode.rawValue) }

    /// The opcodes in `opcodes` the kernel lacks.
    public func missing(from opcodes: [Opcode] = Opcode.usedByRuntime) -> [Opcode] {
        opcodes.filter { !supports($0) }
    }
}
