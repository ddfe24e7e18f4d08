// IORING_OP_STATX: statx(2) of a path, or of an open descriptor (empty path with
// AT_EMPTY_PATH). The kernel writes the result into a heap `statx` that the slot keeps
// alive (keepAlive) until the CQE; `complete` reads it afterwards on the caller's task.

import CLiburing
import Glibc

struct StatxOperation: RingOperation {
    /// The statx buffer the kernel fills, and the path it reads (nil: the descriptor itself).
    final class Storage: @unchecked Sendable {
        // @unchecked: only the kernel writes `result`, before the CQE; only `complete`
        // reads it, after the CQE.
        let result: UnsafeMutablePointer<statx>
        let path: PathBuffer?

        init(path: PathBuffer?) {
            self.path = path
            // Safety: allocated and zeroed here, freed in deinit; the slot keeps this
            // object alive until the CQE, so the kernel never writes freed memory.
            result = .allocate(capacity: 1)
            UnsafeMutableRawPointer(result).initializeMemory(
                as: UInt8.self, repeating: 0, count: MemoryLayout<statx>.size)
        }

        deinit { result.deallocate() }
    }

    /// statx(2) flags Glibc hides behind _GNU_SOURCE.
    static let emptyPathFlag: Int32 = 0x1000  // AT_EMPTY_PATH
    static let noFollowFlag: Int32 = 0x100  // AT_SYMLINK_NOFOLLOW
    static let wantedFields = UInt32(STATX_BASIC_STATS | STATX_BTIME)

    let storage: Storage
    let descriptor: FileDescriptor?
    let flags: Int32

    /// statx of the file `descriptor` refers to.
    init(descriptor: FileDescriptor) {
        storage = Storage(path: nil)
        self.descriptor = descriptor
        flags = Self.emptyPathFlag
    }

    /// statx of `path` (of the link itself when `followSymlinks` is false).
    init(path: PathBuffer, followSymlinks: Bool) {
        storage = Storage(path: path)
        descriptor = nil
        flags = followSymlinks ? 0 : Self.noFollowFlag
    }

    var keepAlive: AnyObject? { storage }

    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>) {
        let path: UnsafePointer<CChar>
        if let buffer = storage.path {
            path = buffer.pointer
        } else {
            // Safety: a string literal's bytes are static, NUL-terminated and never freed.
            path = UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
        }
        entry.statx(path, relativeTo: descriptor, flags: flags, mask: Self.wantedFields, into: storage.result)
    }

    /// The kernel's `struct statx` (IO/FileStatus turns it into Swift values).
    func complete(_ outcome: OperationOutcome) throws -> statx {
        _ = try outcome.count()
        return storage.result.pointee
    }
}
