import Testing
@_spi(URingInternals) import URing

@Suite("A full submission queue", .requiresRealRing)
struct AFullSubmissionQueueIsFlushedNotAnError {
    @Test("asking for an SQE when the SQ is full flushes it instead of failing")
    func fullQueueIsFlushed() throws {
        var ring = try Ring(options: RingOptions(submissionQueueEntries: 2, completionQueueEntries: 8))
        #expect(ring.submissionQueueEntries == 2)
        for tag in 0..<5 {
            let entry = try ring.nextEntry()
            entry.nop()
            entry.userData = UInt64(tag)
        }
        #expect(ring.statistics.fullQueueFlushes == 2)
        let completions = try ring.completions(5)
        #expect(Set(completions.map(\.userData)) == Set(0..<5))
    }
}
