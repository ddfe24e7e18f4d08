// A worker's private xorshift generator for picking steal victims. Not Sendable on
// purpose: each worker owns one.

struct FastRandom {
    private var state: UInt32

    init(seed: UInt32) { state = seed == 0 ? 0x9E37_79B9 : seed }

    /// A value in 0..<bound (bound > 0); Lemire's multiply-shift, no division.
    mutating func next(below bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return Int((UInt64(state) &* UInt64(bound)) >> 32)
    }
}
