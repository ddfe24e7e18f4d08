// A bare emulated Ring (RingOptions.emulated) posts the CQEs the kernel would: the
// runtime's driver and slots rely on these exact results.

import CLiburing
import Glibc
import Testing
@_spi(URingInternals) import URing

@Suite("The io_uring emulator mirrors the kernel's CQEs")
struct TheEmulatorMirrorsTheKernelsCompletions {
    private func emulatedRing() throws -> Ring {
        try Ring(options: RingOptions(submissionQueueEntries: 8, singleIssuer: true, emulated: true))
    }

    private func byTag(_ completions: [Completion]) -> [UInt64: Int32] {
        Dictionary(uniqueKeysWithValues: completions.map { ($0.userData, $0.result) })
    }

    @Test("a NOP completes with 0; with CQE_SKIP_SUCCESS it posts nothing")
    func nop() throws {
        var ring = try emulatedRing()
        let emulated = ring.isEmulated
        #expect(emulated)
        let skipped = try ring.nextEntry()
        skipped.nop()
        skipped.userData = 1
        skipped.flags = .skipSuccessCompletion
        let posted = try ring.nextEntry()
        posted.nop()
        posted.userData = 2
        let completions = try ring.completions(1)
        #expect(completions.map(\.userData) == [2])
        #expect(completions.first?.result == 0)
        try ring.submitAndWait(minCompletions: 1, timeout: .milliseconds(20))
        let late = ring.reap { _ in }
        #expect(late == 0)
    }

    @Test("a pipe read whose linked timeout fires: the read gets ECANCELED, the timeout ETIME")
    func linkTimeoutFires() throws {
        var ring = try emulatedRing()
        let pipe = try Pipe()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
        defer { buffer.deallocate() }
        let time = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 1)
        defer { time.deallocate() }
        time.pointee = __kernel_timespec(.milliseconds(20))
        try ring.reserveEntries(2)
        let read = try ring.nextEntry()
        read.read(pipe.readEnd, into: buffer, at: 0)
        read.userData = 10
        read.flags = .link
        let timeout = try ring.nextEntry()
        timeout.linkTimeout(time)
        timeout.userData = 11
        let start = ContinuousClock.now
        let results = byTag(try ring.completions(2))
        #expect(ContinuousClock.now - start >= .milliseconds(20))
        #expect(results == [10: -ECANCELED, 11: -ETIME])
    }

    @Test("an operation that finishes first: its result, and ECANCELED for the linked timeout")
    func linkTimeoutCancelled() throws {
        var ring = try emulatedRing()
        let time = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 1)
        defer { time.deallocate() }
        time.pointee = __kernel_timespec(.seconds(10))
        let nop = try ring.nextEntry()
        nop.nop()
        nop.userData = 20
        nop.flags = .link
        let timeout = try ring.nextEntry()
        timeout.linkTimeout(time)
        timeout.userData = 21
        #expect(byTag(try ring.completions(2)) == [20: 0, 21: -ECANCELED])
    }

    @Test("ASYNC_CANCEL: a pending pipe read gets ECANCELED and the cancel 0; an unknown tag ENOENT")
    func asyncCancel() throws {
        var ring = try emulatedRing()
        let pipe = try Pipe()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
        defer { buffer.deallocate() }
        let read = try ring.nextEntry()
        read.read(pipe.readEnd, into: buffer, at: 0)
        read.userData = 30
        try ring.submit()
        let cancel = try ring.nextEntry()
        cancel.cancel(target: 30)
        cancel.userData = 31
        let unknown = try ring.nextEntry()
        unknown.cancel(target: 999)
        unknown.userData = 32
        #expect(byTag(try ring.completions(3)) == [30: -ECANCELED, 31: 0, 32: -ENOENT])
    }

    @Test("a 20 ms TIMEOUT fires with ETIME; ASYNC_CANCEL ends another with ECANCELED")
    func timeouts() throws {
        var ring = try emulatedRing()
        let times = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 2)
        defer { times.deallocate() }
        times[0] = __kernel_timespec(.milliseconds(20))
        times[1] = __kernel_timespec(.seconds(60))
        let short = try ring.nextEntry()
        short.timeout(times)
        short.userData = 40
        let long = try ring.nextEntry()
        long.timeout(times + 1)
        long.userData = 41
        let remove = try ring.nextEntry()
        remove.cancel(target: 41)
        remove.userData = 42
        let start = ContinuousClock.now
        #expect(byTag(try ring.completions(3)) == [40: -ETIME, 41: -ECANCELED, 42: 0])
        #expect(ContinuousClock.now - start >= .milliseconds(20))
    }

    @Test("the probe lists every opcode the runtime uses; registrations fail with EINVAL")
    func probeAndRegistration() throws {
        var ring = try emulatedRing()
        let probe = ring.probe()!
        #expect(probe.missing(from: Opcode.usedByRuntime).isEmpty)
        #expect(!probe.supports(.provideBuffers))
        var refusal: Errno?
        do { try ring.registerFiles([FileDescriptor(rawValue: 0)]) } catch { refusal = error }
        #expect(refusal == .invalidArgument)
    }
}
