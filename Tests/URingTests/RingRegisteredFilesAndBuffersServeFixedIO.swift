// Ring registrations: registered files (IOSQE_FIXED_FILE), registered buffers
// (READ_FIXED/WRITE_FIXED) and a registered eventfd each do what they promise, and
// unregistering takes them away.

import CLiburing
import Glibc
import Testing
@_spi(URingInternals) import URing

@Suite("A ring's registered files, buffers and eventfd serve fixed I/O", .requiresRealRing)
struct RingRegisteredFilesAndBuffersServeFixedIO {
    @Test("WRITE_FIXED then READ_FIXED through a registered file and buffer round-trip the bytes")
    func fixedWriteThenRead() throws {
        let file = try TemporaryFile()
        var ring = try Ring()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8_192, alignment: 4_096)
        defer { buffer.deallocate() }
        for index in 0..<4_096 { buffer[index] = UInt8(truncatingIfNeeded: index &* 7) }
        try ring.registerFiles([file.descriptor])
        try ring.registerBuffers([buffer])

        // Index 0 of the file table, not the descriptor number.
        let write = try ring.nextEntry()
        write.writeFixed(FileDescriptor(rawValue: 0), from: UnsafeRawBufferPointer(rebasing: buffer[..<4_096]), at: 0, bufferIndex: 0)
        write.flags.insert(.fixedFile)
        write.userData = 1
        #expect(try ring.completions(1).first?.result == 4_096)

        let read = try ring.nextEntry()
        read.readFixed(FileDescriptor(rawValue: 0), into: UnsafeMutableRawBufferPointer(rebasing: buffer[4_096...]), at: 0, bufferIndex: 0)
        read.flags.insert(.fixedFile)
        read.userData = 2
        #expect(try ring.completions(1).first?.result == 4_096)
        #expect(Array(buffer[4_096...]) == Array(buffer[..<4_096]))
        #expect(try file.contents() == Array(buffer[..<4_096]))

        try ring.unregisterBuffers()
        try ring.unregisterFiles()
        // With the file table gone, index 0 names nothing.
        let orphan = try ring.nextEntry()
        orphan.read(FileDescriptor(rawValue: 0), into: UnsafeMutableRawBufferPointer(rebasing: buffer[4_096...]), at: 0)
        orphan.flags.insert(.fixedFile)
        orphan.userData = 3
        #expect(try ring.completions(1).first?.result == -EBADF)
    }

    @Test("a registered eventfd counts the CQEs the ring posts")
    func registeredEventFDIsSignalled() throws {
        var ring = try Ring()
        let eventFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        try #require(eventFD >= 0)
        defer { close(eventFD) }
        var count: UInt64 = 0
        #expect(read(eventFD, &count, 8) == -1 && errno == EAGAIN)
        try ring.registerEventFD(FileDescriptor(rawValue: eventFD))
        for tag in 1...2 {
            let nop = try ring.nextEntry()
            nop.nop()
            nop.userData = UInt64(tag)
        }
        #expect(try ring.completions(2).count == 2)
        #expect(read(eventFD, &count, 8) == 8)
        #expect(count >= 1)
    }
}
