// From the input fuzzer: TCPStream.receive(maxCount:) used to allocate `maxCount` bytes
// with allocate(byteCount:), which traps when malloc refuses the size. It now allocates
// at most 64 MiB (one receive never returns more than is buffered) through IOBuffer,
// which throws Errno.noMemory instead of trapping. Run in a child process (an exit
// test) so a regression to a crash cannot take the test run down.

import Glibc
import Testing
import URing

@Suite("Hardening: a huge receive size is not a crash", .requiresIOURing)
struct HardeningAHugeReceiveSizeIsNotACrash {
    @Test("TCPStream.receive(maxCount: 1 << 46) returns the 8 bytes that were sent")
    func hugeReceiveSize() async {
        await #expect(processExitsWith: .success) {
            let runtime = try URingRuntime(.init(workers: 1))
            let (local, peer) = try makeSocketPair()
            let stream = TCPStream(taking: FileDescriptor(rawValue: local))
            _ = [UInt8](repeating: 1, count: 8).withUnsafeBytes { Glibc.send(peer, $0.baseAddress, $0.count, 0) }
            let received: [UInt8]? = await withTaskExecutorPreference(runtime.executor) {
                try? await stream.receive(maxCount: 1 << 46)
            }
            try? await stream.close()
            Glibc.close(peer)
            await runtime.shutdown()
            // _exit, not a return: the child's verdict is only "no trap, the bytes came
            // back". Under CI's AddressSanitizer a return would run LeakSanitizer's exit
            // check in the child, and a leak anywhere in the runtime would turn this into
            // exit code 1; the parent's own leak check still sees the same code paths.
            _exit(received == [UInt8](repeating: 1, count: 8) ? 0 : 1)
        }
    }
}
