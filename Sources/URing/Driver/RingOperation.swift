// What the driver runs: an operation is a small value whose `prepare` fills its SQE on
// the ring's owner thread and whose `complete` turns the kernel's outcome into the
// caller's result on the caller's task. The driver owns user_data and link flags; the
// operation owns nothing the kernel touches except what `keepAlive` names (the slot
// holds it until the last CQE). How a task runs one is Operations/Perform.swift.

import CLiburing

protocol RingOperation {
    associatedtype Output

    /// Fills `entry` (user_data and link flags are the driver's). `time` is slot-owned
    /// storage for a timespec the SQE may point at. Runs on the ring's owner thread.
    func prepare(_ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>)

    /// `prepare(_:time:)` on a ring whose registered fixed buffers lie in `fixedBuffers`;
    /// returns whether the SQE uses them. The driver calls this one (default below).
    func prepare(
        _ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>, fixedBuffers: FixedBufferRegion
    ) -> Bool

    /// The File registration a read or write carries (`RegisteredFiles`); `.none` for
    /// everything else. The driver names the slot instead of the descriptor when its
    /// ring holds the table.
    var registeredFile: RegisteredFileUse { get }

    /// Heap memory the kernel reads or writes (a path, a statx buffer), kept alive by the
    /// slot until the last CQE.
    var keepAlive: AnyObject? { get }

    /// The caller's result for what the kernel reported. Runs on the caller's task.
    func complete(_ outcome: OperationOutcome) throws -> Output
}

extension RingOperation {
    var keepAlive: AnyObject? { nil }

    @inline(__always) var registeredFile: RegisteredFileUse { .none }

    /// Fills `entry` on a ring whose registered fixed buffers lie in `fixedBuffers`, and
    /// says whether the SQE uses them (READ_FIXED/WRITE_FIXED). Reads and writes override
    /// it; everything else ignores the region.
    @inline(__always)
    func prepare(
        _ entry: SubmissionEntry, time: UnsafeMutablePointer<__kernel_timespec>, fixedBuffers: FixedBufferRegion
    ) -> Bool {
        prepare(entry, time: time)
        return false
    }
}
