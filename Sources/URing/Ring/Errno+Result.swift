// The one place where a kernel or liburing result becomes a typed error.
//
// liburing reports every failure as a negated errno (-EBADF) in the return value or
// in a CQE's `res`. Everything in swift-uring that sees such a value passes it through
// here, so callers only ever meet swift-system's `Errno`.

extension Errno {
    /// The error a negative io_uring result stands for; `nil` for a non-negative result.
    @_spi(URingInternals) @inlinable
    public init?(uringResult result: Int32) {
        guard result < 0 else { return nil }
        self.init(rawValue: -result)
    }
}

/// Returns `result` if it is non-negative, else throws the `Errno` it encodes.
@discardableResult
func checkedResult(_ result: Int32) throws(Errno) -> Int32 {
    if let error = Errno(uringResult: result) { throw error }
    return result
}
