import Testing
@_spi(URingInternals) import URing

@Suite("Small rings lose nothing", .requiresRealRing)
struct SmallRingsLoseNoCompletion {
    @Test("a ring with SQ 2 and CQ 4 runs 10,000 no-ops with none lost")
    func tinyRingRunsTenThousandNops() throws {
        var ring = try Ring(options: RingOptions(submissionQueueEntries: 2, completionQueueEntries: 4))
        #expect(ring.features.contains(.noDrop))
        let total = 10_000
        var seen = [Bool](repeating: false, count: total)
        var reaped = 0
        // Queue far more than the CQ holds before reaping: the kernel's overflow list
        // (NODROP) and the ring's EBUSY backlog must keep every completion.
        for tag in 0..<total {
            let entry = try ring.nextEntry()
            entry.nop()
            entry.userData = UInt64(tag)
            if tag % 1_000 == 999 {
                try ring.submit()
            }
        }
        try ring.submit()
        let deadline = ContinuousClock.now + .seconds(10)
        while reaped < total && ContinuousClock.now < deadline {
            ring.reap { completion in
                #expect(completion.result == 0)
                let tag = Int(completion.userData)
                #expect(!seen[tag], "tag \(tag) completed twice")
                seen[tag] = true
                reaped += 1
            }
            if reaped < total { try ring.submitAndWait(minCompletions: 1, timeout: .milliseconds(50)) }
        }
        #expect(reaped == total)
        #expect(seen.allSatisfy { $0 })
    }
}
