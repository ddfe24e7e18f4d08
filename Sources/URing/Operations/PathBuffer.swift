// A path copied into memory the ring may read until the operation's last CQE (the slot
// keeps the PathBuffer alive; the caller's FilePath storage cannot be pinned across an
// await).

import Glibc

final class PathBuffer: Sendable {
    // Safety: allocated by strdup in init, freed in deinit; never written after init.
    nonisolated(unsafe) let cString: UnsafeMutablePointer<CChar>

    init(_ path: FilePath) throws {
        guard !path.isEmpty else { throw URingError.invalidArgument("the path is empty") }
        guard let copy = path.withPlatformString({ strdup($0) }) else { throw Errno.noMemory }
        cString = copy
    }

    deinit { free(cString) }

    var pointer: UnsafePointer<CChar> { UnsafePointer(cString) }
}
