// 128 bytes of nothing. Placed before and after the hot fields of per-worker objects
// (local queue indices, counters, owner-only state) so that two workers' objects, which
// the allocator may put side by side, never share a cache line (or an adjacent-line
// prefetch pair): otherwise each worker's writes would keep invalidating the other's.

struct CacheLinePadding {
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init() {}
}
