// Errors swift-uring throws besides the kernel's own (which arrive as swift-system's
// `Errno`) and `CancellationError` (a cancelled task whose operation was cut short).

/// A swift-uring failure that is not an errno from the kernel.
public enum URingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An argument was rejected before anything was submitted.
    case invalidArgument(String)
    /// The file or socket was closed (by this process) before or during the call.
    case closed
    /// The deadline set with `URingRuntime.withDeadline` passed before the operation finished.
    case deadlineExceeded
    /// The runtime is shutting down: the operation was cancelled or never started.
    case shutdown
    /// Called from a thread that is not a runtime worker while no runtime is running.
    case noRuntime
    /// Called in a fork() child on a runtime created before the fork: its worker threads
    /// do not exist in the child and its rings are not mapped there (MADV_DONTFORK).
    case forkedChild
    /// An O_DIRECT read or write whose buffer address, length or file offset is not a
    /// multiple of the device's logical block size (checked against 512 before
    /// submitting; a device with 4096-byte blocks reports it through the kernel).
    case misalignedDirectIO(address: UInt, count: Int, offset: UInt64)

    /// A one-line account of the failure, as "invalid argument: ...".
    public var description: String {
        switch self {
        case .invalidArgument(let detail): return "invalid argument: \(detail)"
        case .closed: return "the file or socket is closed"
        case .deadlineExceeded: return "the deadline passed before the operation finished"
        case .shutdown: return "the swift-uring runtime is shutting down"
        case .noRuntime:
            return "no URingRuntime is running: create one (URingRuntime()) before calling swift-uring I/O "
                + "from threads that are not its workers"
        case .forkedChild:
            return "this process is a fork() child, and the URingRuntime it used was created before fork(): "
                + "its worker threads and rings do not exist in the child. In the child, call exec (or _exit), "
                + "or create a new URingRuntime there"
        case .misalignedDirectIO(let address, let count, let offset):
            return "O_DIRECT I/O needs the buffer address, length and file offset aligned to the device's "
                + "logical block size (512 or 4096 bytes; AlignedBuffer gives aligned memory): got address 0x"
                + String(address, radix: 16) + ", length \(count), offset \(offset)"
        }
    }
}
