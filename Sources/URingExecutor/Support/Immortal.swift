// Immortal objects: reference counting on them is a load and a branch, no atomic write.
//
// The concurrency runtime retains and releases the process-default executor around every
// job it enqueues (swift_task_enqueueGlobalImpl: the `any TaskExecutor` it keeps): two
// atomic read-modify-writes on one cache line that every worker's enqueues write (perf,
// 4 KiB cached randread at QD32: ~1.5% of a worker's CPU). A process-default executor
// lives as long as the process, so nothing is lost by making it immortal; the runtime's
// retain then sees the immortal bit and writes nothing.

enum Immortal {
    /// Makes `object` immortal: it is never deallocated, and retains and releases of it
    /// write nothing. Only for objects that live until the process exits.
    static func make(_ object: AnyObject) {
        // Safety: the pointer is a live native Swift object (a class instance of this
        // package), which the stdlib's entry point marks in its own refcount word.
        swiftStdlibImmortalize(Unmanaged.passUnretained(object).toOpaque())
    }
}

/// The stdlib's exported C entry point (`_swift_stdlib_immortalize(void *)`): a single
/// pointer argument and no result, passed alike by the C and Swift conventions.
@_silgen_name("_swift_stdlib_immortalize")
private func swiftStdlibImmortalize(_ object: UnsafeMutableRawPointer)
