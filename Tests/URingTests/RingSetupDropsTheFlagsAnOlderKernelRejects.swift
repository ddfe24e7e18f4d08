// A kernel older than a setup flag rejects it with EINVAL; the ring then drops the
// newest flag asked for and tries again, records what it really has, and works. Older
// kernels are simulated through the fault seam (`RingFaults.rejectedSetupFlags`: setup
// fails with EINVAL while any of those flags is asked for). Without SUBMIT_ALL a batch
// stops at an SQE that fails to prepare; the ring enters again so nothing stays queued.

import CLiburing
import Glibc
import Testing
@_spi(URingInternals) @testable import URing

@Suite("Ring setup drops the flags an older kernel rejects", .requiresRealRing)
struct RingSetupDropsTheFlagsAnOlderKernelRejects {
    /// What the runtime asks for, without and with DEFER_TASKRUN.
    static let cooperative = RingOptions(submissionQueueEntries: 8, singleIssuer: true, cooperativeTaskRun: true)
    static let deferred = RingOptions(submissionQueueEntries: 8, singleIssuer: true, deferTaskRun: true)

    private func ring(_ options: RingOptions, rejecting rejected: RingSetupFlags) throws -> Ring {
        var options = options
        options.faults = RingFaults(rejectedSetupFlags: rejected)
        return try Ring(options: options)
    }

    /// A NOP round trip on `ring`.
    private func roundTrip(_ ring: inout Ring) throws -> Bool {
        let entry = try ring.nextEntry()
        entry.nop()
        entry.userData = 42
        let completions = try ring.completions(1)
        return completions.count == 1 && completions[0].userData == 42 && completions[0].result == 0
    }

    @Test(
        "each flag the kernel rejects is dropped and the ring works without it",
        arguments: [RingSetupFlags.deferTaskRun, .singleIssuer, .taskRunFlag, .cooperativeTaskRun, .submitAll])
    func eachFlag(flag: RingSetupFlags) throws {
        var options = flag == .deferTaskRun ? Self.deferred : Self.cooperative
        // TASKRUN_FLAG is asked for only by runtimes whose workers poll before parking.
        options.taskRunFlag = flag == .taskRunFlag
        var ring = try ring(options, rejecting: flag)
        #expect(!ring.setupFlags.contains(flag), "has \(ring.setupFlags)")
        #expect(ring.droppedSetupFlags.contains(flag), "dropped \(ring.droppedSetupFlags)")
        #expect(ring.statistics.setupFlags == ring.setupFlags)
        #expect(try roundTrip(&ring))
    }

    /// An older kernel: the flags it rejects, whether DEFER_TASKRUN is asked for, and the
    /// flags the ring should end with.
    struct Kernel: Sendable, CustomTestStringConvertible {
        let name: String
        let rejected: RingSetupFlags
        let deferTaskRun: Bool
        let expected: RingSetupFlags
        var testDescription: String { name }
    }

    @Test(
        "a kernel like 6.0, 5.19, 5.18 or 5.15 gets the flags it has, newest dropped first",
        arguments: [
            Kernel(name: "6.0", rejected: [.deferTaskRun], deferTaskRun: true, expected: [.singleIssuer, .cooperativeTaskRun, .submitAll]),
            Kernel(name: "5.19", rejected: [.deferTaskRun, .singleIssuer], deferTaskRun: false, expected: [.cooperativeTaskRun, .submitAll]),
            Kernel(name: "5.18", rejected: [.deferTaskRun, .singleIssuer, .cooperativeTaskRun], deferTaskRun: true, expected: [.submitAll]),
            Kernel(name: "5.15", rejected: [.deferTaskRun, .singleIssuer, .cooperativeTaskRun, .submitAll], deferTaskRun: false, expected: []),
        ])
    func kernelGenerations(kernel: Kernel) throws {
        let (rejected, expected) = (kernel.rejected, kernel.expected)
        var ring = try ring(kernel.deferTaskRun ? Self.deferred : Self.cooperative, rejecting: rejected)
        #expect(ring.setupFlags == expected)
        // A DEFER_TASKRUN that fell back is replaced by COOP_TASKRUN where the kernel has it.
        #expect(ring.options.deferTaskRun == false || !rejected.contains(.deferTaskRun))
        #expect(ring.options.cooperativeTaskRun == expected.contains(.cooperativeTaskRun))
        #expect(ring.options.singleIssuer == expected.contains(.singleIssuer))
        #expect(try roundTrip(&ring))
    }

    @Test("TASKRUN_FLAG stays when DEFER_TASKRUN falls back to COOP_TASKRUN (6.0) and goes with COOP_TASKRUN (5.18)")
    func taskRunFlagFollowsTheTaskRunMode() throws {
        var options = Self.deferred
        options.taskRunFlag = true
        var sixZero = try ring(options, rejecting: [.deferTaskRun])
        #expect(sixZero.setupFlags == [.singleIssuer, .cooperativeTaskRun, .taskRunFlag, .submitAll])
        #expect(sixZero.options.taskRunFlag)
        #expect(try roundTrip(&sixZero))
        var fiveEighteen = try ring(
            options, rejecting: [.deferTaskRun, .singleIssuer, .cooperativeTaskRun, .taskRunFlag])
        #expect(fiveEighteen.setupFlags == [.submitAll])
        #expect(!fiveEighteen.options.taskRunFlag && !fiveEighteen.taskWorkPending)
        #expect(try roundTrip(&fiveEighteen))
    }

    @Test("a ring the kernel refuses whatever the flags still throws the unavailable error")
    func nothingLeftToDrop() {
        var options = Self.cooperative
        options.submissionQueueEntries = 1 << 20  // over the kernel's 32768: EINVAL with any flags
        #expect(throws: URingUnavailableError.self) { _ = try Ring(options: options) }
    }

    @Test("without SUBMIT_ALL, an SQE that fails to prepare does not leave the rest of the batch queued")
    func partialSubmit() throws {
        var ring = try ring(Self.cooperative, rejecting: [.submitAll])
        #expect(!ring.setupFlags.contains(.submitAll))
        for tag in UInt64(1)...3 {
            let entry = try ring.nextEntry()
            entry.nop()
            entry.userData = tag
            // The middle SQE has an opcode no kernel knows: it fails to prepare (EINVAL).
            // Safety: the SQE was just handed out and is not submitted yet.
            if tag == 2 { entry.sqe.pointee.opcode = 255 }
        }
        try ring.submit()
        #expect(ring.pendingSubmissions == 0)
        var results: [UInt64: Int32] = [:]
        ring.reap { results[$0.userData] = $0.result }
        if results.count < 3 {
            for completion in try ring.completions(3 - results.count) { results[completion.userData] = completion.result }
        }
        #expect(results == [1: 0, 2: -EINVAL, 3: 0])
    }
}
