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

/// The stdlib's exported entry point (`_swift_stdlib_immortalize`, defined SWIFT_CC(swift)
/// in the runtime's RefCount.cpp, so this declaration matches its convention). It expects
/// an object without a side table: nothing takes a `weak` reference to an executor before
/// `make` (a later one moves the immortal bits into the new side table; retains stay
/// no-ops, through the slow path).
@_silgen_name("_swift_stdlib_immortalize")
private func swiftStdlibImmortalize(_ object: UnsafeMutableRawPointer)
