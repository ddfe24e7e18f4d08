// How a Ring is set up: sizes and IORING_SETUP_* flags, plus the fault seam for tests.

import CLiburing
import Glibc
import URingExecutor

extension Errno {
    /// EBADR from io_uring_enter: the kernel dropped CQEs it had no memory to keep
    /// (swift-system names no EBADR).
    public static var completionsDropped: Errno { Errno(rawValue: EBADR) }
}

/// Setup parameters for a `Ring`.
@_spi(URingInternals)
public struct RingOptions: Sendable {
    /// Submission queue entries; the kernel rounds up to a power of two (1...32768).
    public var submissionQueueEntries: UInt32
    /// Completion queue entries (power of two, at least the SQ size); `nil` lets the kernel pick 2 × SQ.
    public var completionQueueEntries: UInt32?
    /// IORING_SETUP_SINGLE_ISSUER: only the thread that created the ring submits (Linux 6.0).
    public var singleIssuer: Bool
    /// IORING_SETUP_DEFER_TASKRUN: completion work runs only when the owner enters the kernel
    /// (Linux 6.1, needs `singleIssuer`). Completions then appear only after a submit or wait.
    public var deferTaskRun: Bool
    /// IORING_SETUP_COOP_TASKRUN: no IPI to interrupt the owner for completion work (Linux 5.19).
    public var cooperativeTaskRun: Bool
    /// IORING_SETUP_TASKRUN_FLAG (Linux 5.19, with a task-run mode): the kernel flags the
    /// SQ ring while completion work waits for the owner (`Ring.taskWorkPending`), so a
    /// thread polling the ring enters the kernel only when there is something to run.
    public var taskRunFlag: Bool
    /// IORING_SETUP_SQPOLL with this idle time: a kernel thread polls the SQ (costs a core).
    public var submissionPollIdle: Duration?
    /// Test seam: faults to inject into setup and `io_uring_enter`. Never set in production.
    public var faults: RingFaults?
    /// Run the ring in user space (epoll for sockets, pipes and eventfds, a blocking
    /// thread pool for files) instead of io_uring: for processes where io_uring is
    /// blocked. The Ring's API and its CQEs are the same; the setup flags are ignored.
    public var emulated: Bool

    /// Options for a ring of `submissionQueueEntries` entries; every flag is off unless
    /// asked for (the runtime asks for `singleIssuer` and one of the task-run modes).
    public init(
        submissionQueueEntries: UInt32 = 256,
        completionQueueEntries: UInt32? = nil,
        singleIssuer: Bool = false,
        deferTaskRun: Bool = false,
        cooperativeTaskRun: Bool = false,
        taskRunFlag: Bool = false,
        submissionPollIdle: Duration? = nil,
        faults: RingFaults? = nil,
        emulated: Bool = false
    ) {
        self.submissionQueueEntries = submissionQueueEntries
        self.completionQueueEntries = completionQueueEntries
        self.singleIssuer = singleIssuer
        self.deferTaskRun = deferTaskRun
        self.cooperativeTaskRun = cooperativeTaskRun
        self.taskRunFlag = taskRunFlag
        self.submissionPollIdle = submissionPollIdle
        self.faults = faults
        self.emulated = emulated
    }

    /// The IORING_SETUP_* flags these options ask for. SUBMIT_ALL (keep submitting the
    /// rest of a batch when one SQE fails to prepare, Linux 5.18) is always asked for.
    var setupFlags: RingSetupFlags {
        var flags: RingSetupFlags = [.submitAll]
        if completionQueueEntries != nil { flags.insert(.completionQueueSize) }
        if singleIssuer { flags.insert(.singleIssuer) }
        if deferTaskRun { flags.insert(.deferTaskRun) }
        if cooperativeTaskRun { flags.insert(.cooperativeTaskRun) }
        if taskRunFlag { flags.insert(.taskRunFlag) }
        if submissionPollIdle != nil { flags.insert(.submissionPoll) }
        return flags
    }

    /// These options with only `flags`' task-run and issuer flags on (what a ring got).
    func granted(_ flags: RingSetupFlags) -> RingOptions {
        var options = self
        options.singleIssuer = flags.contains(.singleIssuer)
        options.deferTaskRun = flags.contains(.deferTaskRun)
        options.cooperativeTaskRun = flags.contains(.cooperativeTaskRun)
        options.taskRunFlag = flags.contains(.taskRunFlag)
        return options
    }
}

/// IORING_SETUP_* flags a ring asks for or has.
public struct RingSetupFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The IORING_SETUP_* bits, as io_uring_params.flags holds them.
    public let rawValue: UInt32
    /// The flags whose IORING_SETUP_* bits are set in `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_SETUP_CQSIZE: the completion queue has the size asked for, not twice the
    /// submission queue's.
    public static let completionQueueSize = RingSetupFlags(rawValue: IORING_SETUP_CQSIZE)
    /// IORING_SETUP_SQPOLL: a kernel thread polls the submission queue (the runtime asks
    /// for it only with `URingRuntime.Configuration.submissionPollIdle`).
    public static let submissionPoll = RingSetupFlags(rawValue: IORING_SETUP_SQPOLL)
    /// IORING_SETUP_SUBMIT_ALL (Linux 5.18): a batch goes on past an entry the kernel
    /// cannot prepare (that entry completes with its error).
    public static let submitAll = RingSetupFlags(rawValue: IORING_SETUP_SUBMIT_ALL)
    /// IORING_SETUP_COOP_TASKRUN (Linux 5.19): completion work waits for the owner's next
    /// kernel entry instead of interrupting it.
    public static let cooperativeTaskRun = RingSetupFlags(rawValue: IORING_SETUP_COOP_TASKRUN)
    /// IORING_SETUP_SINGLE_ISSUER (Linux 6.0): only the creating thread submits; another
    /// thread's submit fails with EEXIST.
    public static let singleIssuer = RingSetupFlags(rawValue: IORING_SETUP_SINGLE_ISSUER)
    /// IORING_SETUP_DEFER_TASKRUN (Linux 6.1, with SINGLE_ISSUER): completion work runs
    /// only when the owner enters the kernel to submit or wait.
    public static let deferTaskRun = RingSetupFlags(rawValue: IORING_SETUP_DEFER_TASKRUN)
    /// IORING_SETUP_TASKRUN_FLAG (Linux 5.19, with COOP_TASKRUN or DEFER_TASKRUN): the
    /// kernel sets IORING_SQ_TASKRUN in the SQ ring's flags while completion work waits.
    public static let taskRunFlag = RingSetupFlags(rawValue: IORING_SETUP_TASKRUN_FLAG)

    /// The flags a ring can do without, newest kernel first: the order in which setup
    /// drops them when the kernel answers EINVAL (an older kernel rejects flags it does
    /// not know). Sizes and SQPOLL are never dropped.
    static let optional: [RingSetupFlags] = [.deferTaskRun, .singleIssuer, .taskRunFlag, .cooperativeTaskRun, .submitAll]

    /// The flags' kernel names without the prefix, as "[SUBMIT_ALL, SINGLE_ISSUER]"; "[]"
    /// when empty.
    public var description: String {
        let names: [(RingSetupFlags, String)] = [
            (.completionQueueSize, "CQSIZE"), (.submissionPoll, "SQPOLL"), (.submitAll, "SUBMIT_ALL"),
            (.cooperativeTaskRun, "COOP_TASKRUN"), (.singleIssuer, "SINGLE_ISSUER"), (.deferTaskRun, "DEFER_TASKRUN"),
            (.taskRunFlag, "TASKRUN_FLAG"),
        ]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "[]" : "[" + present.joined(separator: ", ") + "]"
    }
}

/// Faults a test injects into a Ring: a failing setup, a kernel too old for some setup
/// flags, or `io_uring_enter` calls that fail
/// with EINTR/EAGAIN/EBUSY (which the Ring must absorb) or EBADR (which it counts and
/// reports through `takeCompletionsDropped()`) before reaching the kernel.
@_spi(URingInternals)
public struct RingFaults: Sendable {
    /// Setup fails with this errno instead of calling io_uring_setup.
    public var setupError: Errno?
    /// Setup fails with EINVAL, without calling io_uring_setup, while any of these flags
    /// is asked for: a kernel older than the flags (then the ring drops them and retries).
    public var rejectedSetupFlags: RingSetupFlags
    /// Fraction (0...1) of `io_uring_enter` calls that fail before entering the kernel.
    public var enterFailureRate: Double
    /// The errors an injected enter failure picks from, in turn (add
    /// `Errno.completionsDropped` to simulate the kernel losing CQEs).
    public var enterErrors: [Errno]
    /// Seed of the deterministic generator that picks the failing calls.
    public var seed: UInt64

    /// Faults as given; the defaults inject nothing (a zero failure rate), so set the fields
    /// the test needs.
    public init(
        setupError: Errno? = nil,
        rejectedSetupFlags: RingSetupFlags = [],
        enterFailureRate: Double = 0,
        enterErrors: [Errno] = [.interrupted, .resourceTemporarilyUnavailable, .resourceBusy],
        seed: UInt64 = 0x5eed
    ) {
        self.setupError = setupError
        self.rejectedSetupFlags = rejectedSetupFlags
        self.enterFailureRate = enterFailureRate
        self.enterErrors = enterErrors
        self.seed = seed
    }
}

/// The per-ring state of the enter-fault seam (a SplitMix64 stream, owned by the ring's thread).
struct EnterFaultInjector {
    private var random: SplitMix64
    private let threshold: UInt64
    private let errors: [Errno]
    private var nextError = 0

    init?(_ faults: RingFaults?) {
        guard let faults, faults.enterFailureRate > 0, !faults.enterErrors.isEmpty else { return nil }
        random = SplitMix64(seed: faults.seed)
        threshold = UInt64(min(max(faults.enterFailureRate, 0), 1) * Double(UInt64.max >> 11)) << 11
        errors = faults.enterErrors
    }

    /// The error this enter call should fail with, if the seam picks it.
    mutating func nextFailure() -> Errno? {
        guard random.next() < threshold else { return nil }
        defer { nextError = (nextError + 1) % errors.count }
        return errors[nextError]
    }
}
