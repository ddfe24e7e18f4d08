// A completion queue entry, copied out of the ring so the slot can be released at once.

import CLiburing

/// One CQE: what the kernel reported for the submission tagged `userData`.
@_spi(URingInternals)
public struct Completion: Sendable, Equatable {
    /// The tag of the submission this completes (`SubmissionEntry.userData`), or liburing's
    /// own LIBURING_UDATA_TIMEOUT.
    public var userData: UInt64
    /// The operation's result: a count or fd when non-negative, a negated errno otherwise.
    public var result: Int32
    /// IORING_CQE_F_* bits.
    public var flags: UInt32

    /// A completion with these fields, as the kernel would post it (for tests and the emulator).
    public init(userData: UInt64, result: Int32, flags: UInt32) {
        self.userData = userData
        self.result = result
        self.flags = flags
    }

    init(_ cqe: UnsafePointer<io_uring_cqe>) {
        self.init(userData: cqe.pointee.user_data, result: cqe.pointee.res, flags: cqe.pointee.flags)
    }

    /// The error the result encodes, if it is negative.
    public var error: Errno? { Errno(uringResult: result) }

    /// IORING_CQE_F_MORE: a multishot request will post further completions.
    public var hasMore: Bool { flags & IORING_CQE_F_MORE != 0 }

    /// IORING_CQE_F_BUFFER: the kernel picked a provided buffer; this is its id.
    public var bufferID: UInt16? {
        guard flags & IORING_CQE_F_BUFFER != 0 else { return nil }
        return UInt16(truncatingIfNeeded: flags >> IORING_CQE_BUFFER_SHIFT)
    }

    /// IORING_CQE_F_NOTIF: a zero-copy send's buffer-release notification.
    public var isNotification: Bool { flags & IORING_CQE_F_NOTIF != 0 }
}
