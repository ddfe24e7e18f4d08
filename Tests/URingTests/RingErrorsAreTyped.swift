import Testing
@_spi(URingInternals) import URing

@Suite("Ring errors are typed", .requiresRealRing)
struct RingErrorsAreTyped {
    @Test("reading a bad file descriptor completes with EBADF as an Errno")
    func badDescriptorIsEBADF() throws {
        var ring = try Ring()
        var buffer = [UInt8](repeating: 0, count: 8)
        try buffer.withUnsafeMutableBytes { bytes in
            let entry = try ring.nextEntry()
            entry.read(FileDescriptor(rawValue: 9_999), into: bytes, at: 0)
            entry.userData = 3
            let completion = try #require(try ring.completions(1).first)
            #expect(completion.error == .badFileDescriptor)
            #expect(completion.result == -Errno.badFileDescriptor.rawValue)
        }
    }

    @Test("a non-negative result carries no error")
    func successHasNoError() {
        #expect(Completion(userData: 0, result: 12, flags: 0).error == nil)
        #expect(Errno(uringResult: 0) == nil)
        #expect(Errno(uringResult: -2) == .noSuchFileOrDirectory)
    }
}
