import CLiburing
import Testing
@_spi(URingInternals) import URing

@Suite("Ring timeouts", .requiresRealRing)
struct RingTimeoutsCompleteWithETIME {
    @Test("a timeout op completes with ETIME after its duration")
    func timeoutCompletesWithETIME() throws {
        var ring = try Ring()
        var time = __kernel_timespec(.milliseconds(20))
        let start = ContinuousClock.now
        let entry = try ring.nextEntry()
        entry.timeout(&time)
        entry.userData = 42
        let completions = try ring.completions(1)
        let elapsed = ContinuousClock.now - start
        #expect(completions.count == 1)
        #expect(completions.first?.userData == 42)
        #expect(completions.first?.error == .timeout)  // ETIME, not ETIMEDOUT
        #expect(elapsed >= .milliseconds(20))
    }

    @Test("a timeout counting completions fires with 0 once enough other CQEs post")
    func timeoutByCount() throws {
        var ring = try Ring()
        var time = __kernel_timespec(.seconds(10))
        let timeout = try ring.nextEntry()
        timeout.timeout(&time, completions: 2)
        timeout.userData = 100
        for tag in 1...2 {
            let nop = try ring.nextEntry()
            nop.nop()
            nop.userData = UInt64(tag)
        }
        let completions = try ring.completions(3, within: .seconds(2))
        #expect(completions.first { $0.userData == 100 }?.result == 0)
    }
}
