import Glibc
import Testing
@_spi(URingInternals) import URing

@Suite("Ring cancellation", .requiresRealRing)
struct ARingCancelsOperations {
    @Test("cancelling a pending pipe read yields ECANCELED and the cancel's own CQE")
    func cancelPendingPipeRead() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
        defer {
            try? readEnd.close()
            try? writeEnd.close()
        }
        var ring = try Ring()
        var buffer = [UInt8](repeating: 0xAA, count: 64)
        try buffer.withUnsafeMutableBytes { bytes in
            let read = try ring.nextEntry()
            read.read(readEnd, into: bytes, at: .max)
            read.userData = 1
            try ring.submit()
            // Nothing was written: the read must still be pending.
            var early: [Completion] = []
            ring.reap { early.append($0) }
            #expect(early.isEmpty)

            let cancel = try ring.nextEntry()
            cancel.cancel(target: 1)
            cancel.userData = 2
            let completions = try ring.completions(2)
            #expect(completions.first { $0.userData == 1 }?.error == .canceled)
            #expect(completions.first { $0.userData == 2 }?.result == 0)
        }
        #expect(buffer.allSatisfy { $0 == 0xAA })
    }

    @Test("cancelling an unknown tag reports ENOENT")
    func cancelUnknownTag() throws {
        var ring = try Ring()
        let cancel = try ring.nextEntry()
        cancel.cancel(target: 0xDEAD)
        cancel.userData = 9
        #expect(try ring.completions(1).first?.error == .noSuchFileOrDirectory)
    }
}
