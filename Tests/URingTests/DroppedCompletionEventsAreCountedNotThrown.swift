// EBADR from io_uring_enter (the kernel lost CQEs) is counted and reported once, never
// thrown: the driver decides what to do about it. (Named Fallback* because the
// fallback helper owns the Ring's counters.)

import Testing
@_spi(URingInternals) import URing

@Suite("An EBADR from io_uring_enter is counted and reported, not thrown", .requiresRealRing)
struct DroppedCompletionEventsAreCountedNotThrown {
    @Test("injected EBADR: submit and wait return, the counter grows, takeCompletionsDropped is true once")
    func droppedCompletionsAreReportedOnce() throws {
        // Every enter fails with EBADR before reaching the kernel.
        let faults = RingFaults(enterFailureRate: 1, enterErrors: [.completionsDropped])
        var ring = try Ring(options: RingOptions(submissionQueueEntries: 4, faults: faults))
        let droppedBefore = ring.takeCompletionsDropped()
        #expect(!droppedBefore)
        try ring.nextEntry().nop()
        let submitted = try ring.submit()
        let waited = try ring.submitAndWait(minCompletions: 1, timeout: .milliseconds(1))
        #expect(submitted == 0 && waited == 0)
        let statistics = ring.statistics
        #expect(statistics.droppedCompletionEvents == 2)
        #expect(statistics.overflowedCompletions == 0)
        let first = ring.takeCompletionsDropped()
        let second = ring.takeCompletionsDropped()
        #expect(first)
        #expect(!second)
    }

    @Test("CQEs beyond the CQ's size are kept (NODROP): the overflow counter stays 0")
    func overflowCounterIsRead() throws {
        var ring = try Ring(options: RingOptions(submissionQueueEntries: 2, completionQueueEntries: 4))
        for tag in 0..<16 {
            let entry = try ring.nextEntry()
            entry.nop()
            entry.userData = UInt64(tag)
        }
        try ring.submit()
        // With NODROP the kernel keeps the extra CQEs in its overflow list; koverflow
        // counts only CQEs it had to drop, so it stays 0 and nothing is lost.
        #expect(ring.features.contains(.noDrop))
        #expect(ring.statistics.overflowedCompletions == 0)
        let reaped = try ring.completions(16)
        #expect(Set(reaped.map(\.userData)) == Set(0..<16))
    }
}
