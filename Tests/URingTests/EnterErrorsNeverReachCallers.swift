import Testing
@_spi(URingInternals) import URing

@Suite("Enter errors never reach callers", .requiresRealRing)
struct EnterErrorsNeverReachCallers {
    @Test("EINTR, EAGAIN and EBUSY injected into a third of enters lose no completion")
    func injectedEnterFaultsAreAbsorbed() throws {
        let faults = RingFaults(enterFailureRate: 0.33, seed: 12345)
        var ring = try Ring(options: RingOptions(submissionQueueEntries: 8, completionQueueEntries: 16, faults: faults))
        let total = 5_000
        var seen = Set<UInt64>()
        var next = 0
        // A hang watchdog only: under a sanitizer on a busy machine this loop is slow.
        let deadline = ContinuousClock.now + .seconds(300)
        while seen.count < total && ContinuousClock.now < deadline {
            for _ in 0..<8 where next < total {
                let entry = try ring.nextEntry()
                entry.nop()
                entry.userData = UInt64(next)
                next += 1
            }
            try ring.submitAndWait(minCompletions: 1, timeout: .milliseconds(20))
            ring.reap { completion in
                #expect(completion.result == 0)
                #expect(seen.insert(completion.userData).inserted)
            }
        }
        #expect(seen.count == total)
        #expect(ring.statistics.enterRetries > 0)
    }
}
