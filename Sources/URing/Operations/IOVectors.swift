// An iovec array the kernel reads during a readv/writev: heap memory the operation's slot
// keeps alive (keepAlive) until the CQE, so it outlives any await of the caller.
//
// Built on the caller's task before submission and never changed after; the buffers it
// points at belong to the caller, who awaits the CQE before reusing them.

import Glibc

final class IOVectors: @unchecked Sendable {
    // @unchecked: written only in init; afterwards only the kernel reads it.
    let vectors: UnsafeMutableBufferPointer<iovec>

    /// One iovec per (base, length) pair, in order.
    init(_ pieces: [(base: UnsafeMutableRawPointer?, length: Int)]) {
        // Safety: allocated here, initialized in full just below, freed in deinit.
        vectors = .allocate(capacity: pieces.count)
        for (index, piece) in pieces.enumerated() {
            (vectors.baseAddress! + index).initialize(to: iovec(iov_base: piece.base, iov_len: piece.length))
        }
    }

    deinit {
        vectors.deinitialize()
        vectors.deallocate()
    }

    var buffer: UnsafeBufferPointer<iovec> { UnsafeBufferPointer(vectors) }
}
