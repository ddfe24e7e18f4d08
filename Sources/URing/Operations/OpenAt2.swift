// IORING_OP_OPENAT2: openat2(2) through the ring, for opens that must stay beneath a
// directory (RESOLVE_BENEATH) and may refuse symbolic links (RESOLVE_NO_SYMLINKS). The
// path and the `struct open_how` live in one heap object the slot keeps alive until the
// CQE. A descriptor that arrives for a caller who was cancelled meanwhile is closed here.

import CLiburing
import Glibc

struct OpenAt2Operation: RingOperation {
    /// <linux/openat2.h>: RESOLVE_* flags (macros Swift does not import).
    static let resolveNoSymbolicLinks: UInt64 = 0x04  // RESOLVE_NO_SYMLINKS
    static let resolveBeneath: UInt64 = 0x08  // RESOLVE_BENEATH

    /// What the kernel reads: the path and the open_how.
    final class Request: @unchecked Sendable {
        // @unchecked: `how` is written once in init and only read (by the kernel, or a
        // pool thread of the emulator) until the CQE; freed in deinit.
        let path: PathBuffer
        let how: UnsafeMutablePointer<open_how>

        init(path: PathBuffer, flags: Int32, mode: mode_t, resolve: UInt64) {
            self.path = path
            // Safety: allocated and initialised here, freed in deinit; the slot keeps this
            // object alive until the CQE, so the kernel never reads freed memory.
            how = .allocate(capacity: 1)
            how.initialize(to: open_how(flags: UInt64(UInt32(bitPattern: flags)), mode: UInt64(mode), resolve: resolve))
        }

        deinit { how.deallocate() }
    }

    let request: Request
    let directory: FileDescriptor

    var keepAlive: AnyObject? { request }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        entry.openat2(request.path.pointer, relativeTo: directory, how: request.how)
    }

    func complete(_ outcome: OperationOutcome) throws -> FileDescriptor {
        try outcome.newDescriptor()
    }
}
