// The io_uring operations swift-uring prepares, named, for probing and diagnostics.

import CLiburing

/// An io_uring opcode (IORING_OP_*).
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    init(_ op: io_uring_op) { rawValue = UInt8(op.rawValue) }

    public static let nop = Opcode(IORING_OP_NOP)
    public static let readv = Opcode(IORING_OP_READV)
    public static let writev = Opcode(IORING_OP_WRITEV)
    public static let fsync = Opcode(IORING_OP_FSYNC)
    public static let readFixed = Opcode(IORING_OP_READ_FIXED)
    public static let writeFixed = Opcode(IORING_OP_WRITE_FIXED)
    public static let pollAdd = Opcode(IORING_OP_POLL_ADD)
    public static let pollRemove = Opcode(IORING_OP_POLL_REMOVE)
    public static let sendmsg = Opcode(IORING_OP_SENDMSG)
    public static let recvmsg = Opcode(IORING_OP_RECVMSG)
    public static let timeout = Opcode(IORING_OP_TIMEOUT)
    public static let timeoutRemove = Opcode(IORING_OP_TIMEOUT_REMOVE)
    public static let accept = Opcode(IORING_OP_ACCEPT)
    public static let asyncCancel = Opcode(IORING_OP_ASYNC_CANCEL)
    public static let linkTimeout = Opcode(IORING_OP_LINK_TIMEOUT)
    public static let connect = Opcode(IORING_OP_CONNECT)
    public static let fallocate = Opcode(IORING_OP_FALLOCATE)
    public static let openat = Opcode(IORING_OP_OPENAT)
    public static let close = Opcode(IORING_OP_CLOSE)
    public static let statx = Opcode(IORING_OP_STATX)
    public static let read = Opcode(IORING_OP_READ)
    public static let write = Opcode(IORING_OP_WRITE)
    public static let send = Opcode(IORING_OP_SEND)
    public static let recv = Opcode(IORING_OP_RECV)
    public static let provideBuffers = Opcode(IORING_OP_PROVIDE_BUFFERS)
    public static let shutdown = Opcode(IORING_OP_SHUTDOWN)
    public static let renameat = Opcode(IORING_OP_RENAMEAT)
    public static let unlinkat = Opcode(IORING_OP_UNLINKAT)
    public static let mkdirat = Opcode(IORING_OP_MKDIRAT)
    public static let socket = Opcode(IORING_OP_SOCKET)
    public static let openat2 = Opcode(IORING_OP_OPENAT2)
    public static let symlinkat = Opcode(IORING_OP_SYMLINKAT)
    public static let linkat = Opcode(IORING_OP_LINKAT)

    /// Every opcode swift-uring's file, socket and timer APIs rely on.
    public static let usedByRuntime: [Opcode] = [
        .nop, .read, .write, .readv, .writev, .fsync, .openat, .openat2, .close, .statx, .fallocate,
        .unlinkat, .renameat, .mkdirat, .symlinkat, .linkat, .timeout, .linkTimeout, .asyncCancel,
        .accept, .connect, .recv, .send, .recvmsg, .sendmsg, .shutdown,
    ]

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
public struct RingProbe: Sendable {
    /// The highest opcode the kernel knows.
    public let lastOpcode: UInt8
    private let supported: Set<UInt8>

    init(lastOpcode: UInt8, supported: Set<UInt8>) {
        self.lastOpcode = lastOpcode
        self.supported = supported
    }

    public func supports(_ opcode: Opcode) -> Bool { supported.contains(opcode.rawValue) }

    /// The opcodes in `opcodes` the kernel lacks.
    public func missing(from opcodes: [Opcode] = Opcode.usedByRuntime) -> [Opcode] {
        opcodes.filter { !supports($0) }
    }
}
