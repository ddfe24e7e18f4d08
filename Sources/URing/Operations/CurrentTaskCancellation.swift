// Whether the current task is cancelled, without retaining it.
//
// `Task.checkCancellation()` goes through `withUnsafeCurrentTask`, which retains the
// task and releases it again: two atomic read-modify-writes per operation on the I/O
// hot path (perf, 4 KiB cached randread at QD32: ~1% of the worker's CPU). The C shim
// calls the two runtime entry points it wraps, which take and return the task
// unretained (CLiburing/shim.h).

import CLiburing

enum CurrentTaskCancellation {
    /// Throws CancellationError if the current task is cancelled (as
    /// `Task.checkCancellation()`, without its retain and release). Untyped: a
    /// `throws(CancellationError)` made every caller's async frame allocate room for the
    /// resilient error type on entry.
    @inline(__always)
    static func check() throws {
        if curing_current_task_is_cancelled() { throw CancellationError() }
    }
}
