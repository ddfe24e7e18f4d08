// io_uring blocked by a seccomp filter, as Docker's default profile does (EPERM) and as
// a kernel without io_uring looks (ENOSYS). Each test runs in a child process (an exit
// test) that installs the filter on itself and then checks, exiting non-zero with a
// message on stderr at the first mismatch:
// - a bare Ring fails with that errno;
// - backend .ioURing: URingRuntime throws URingUnavailableError with the right reason
//   and a message that names seccomp and the fix;
// - backend .automatic: the runtime starts on the fallback (fallbackReason set), a
//   file round trip, a TCP echo on 127.0.0.1 and a sleep work;
// - the fallback warning is logged once, though two runtimes fell back.

import Glibc
import Testing
@_spi(URingInternals) import URing

/// Installs a seccomp filter that makes io_uring_setup/enter/register fail with `code`.
enum SeccompFilter {
    // <linux/filter.h>
    private struct SocketFilter {
        var code: UInt16
        var jumpIfTrue: UInt8
        var jumpIfFalse: UInt8
        var operand: UInt32
    }

    private struct SocketFilterProgram {
        var length: UInt16
        var filter: UnsafeMutablePointer<SocketFilter>?
    }

    private static let loadWordAbsolute: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
    private static let jumpIfEqual: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
    private static let returnConstant: UInt16 = 0x06  // BPF_RET | BPF_K
    // <linux/seccomp.h>
    private static let returnAllow: UInt32 = 0x7fff_0000  // SECCOMP_RET_ALLOW
    private static let returnErrno: UInt32 = 0x0005_0000  // SECCOMP_RET_ERRNO
    private static let setModeFilter: UInt = 1  // SECCOMP_SET_MODE_FILTER
    private static let synchronizeThreads: UInt = 1  // SECCOMP_FILTER_FLAG_TSYNC
    // offsetof(struct seccomp_data, nr) and (…, arch)
    private static let numberOffset: UInt32 = 0
    private static let architectureOffset: UInt32 = 4
    // <linux/audit.h>
    #if arch(x86_64)
    private static let architecture: UInt32 = 0xC000_003E  // AUDIT_ARCH_X86_64
    #elseif arch(arm64)
    private static let architecture: UInt32 = 0xC000_00B7  // AUDIT_ARCH_AARCH64
    #endif
    // <asm/unistd.h>: the same numbers on x86_64 and aarch64.
    private static let ioURingSetup: UInt32 = 425
    private static let ioURingEnter: UInt32 = 426
    private static let ioURingRegister: UInt32 = 427
    // <asm/unistd.h>: seccomp(2)
    #if arch(x86_64)
    private static let seccompSystemCall = 317
    #elseif arch(arm64)
    private static let seccompSystemCall = 277
    #endif
    // <linux/prctl.h>
    private static let setNoNewPrivileges: Int32 = 38  // PR_SET_NO_NEW_PRIVS

    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    private typealias SystemCall = @convention(c) (Int, UInt, UInt, UInt) -> Int

    /// Installs the filter on every thread of the calling process (seccomp(2) with
    /// TSYNC: the exit test's body may resume on another thread after an await).
    /// Returns an error message, or nil on success.
    static func install(failingWith code: Int32) -> String? {
        // prctl and syscall are variadic in C, which Swift cannot call; their integer
        // arguments go in registers either way, so fixed prototypes call them correctly.
        let library = dlopen(nil, RTLD_NOW)
        guard let prctlSymbol = dlsym(library, "prctl"), let syscallSymbol = dlsym(library, "syscall") else {
            return "no prctl/syscall in libc"
        }
        let prctl = unsafeBitCast(prctlSymbol, to: Prctl.self)
        let syscall = unsafeBitCast(syscallSymbol, to: SystemCall.self)
        let errnoAction = returnErrno | UInt32(UInt16(truncatingIfNeeded: code))
        var instructions = [
            SocketFilter(code: loadWordAbsolute, jumpIfTrue: 0, jumpIfFalse: 0, operand: architectureOffset),
            SocketFilter(code: jumpIfEqual, jumpIfTrue: 0, jumpIfFalse: 4, operand: architecture),  // else allow
            SocketFilter(code: loadWordAbsolute, jumpIfTrue: 0, jumpIfFalse: 0, operand: numberOffset),
            SocketFilter(code: jumpIfEqual, jumpIfTrue: 3, jumpIfFalse: 0, operand: ioURingSetup),
            SocketFilter(code: jumpIfEqual, jumpIfTrue: 2, jumpIfFalse: 0, operand: ioURingEnter),
            SocketFilter(code: jumpIfEqual, jumpIfTrue: 1, jumpIfFalse: 0, operand: ioURingRegister),
            SocketFilter(code: returnConstant, jumpIfTrue: 0, jumpIfFalse: 0, operand: returnAllow),
            SocketFilter(code: returnConstant, jumpIfTrue: 0, jumpIfFalse: 0, operand: errnoAction),
        ]
        guard prctl(setNoNewPrivileges, 1, 0, 0, 0) == 0 else { return "PR_SET_NO_NEW_PRIVS: errno \(errno)" }
        let status = instructions.withUnsafeMutableBufferPointer { buffer in
            var program = SocketFilterProgram(length: UInt16(buffer.count), filter: buffer.baseAddress)
            // Safety: `program` and the instructions it points to live through the call;
            // the kernel copies the filter.
            return withUnsafeMutablePointer(to: &program) { pointer in
                syscall(seccompSystemCall, setModeFilter, synchronizeThreads, UInt(bitPattern: pointer))
            }
        }
        return status == 0 ? nil : "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): returned \(status), errno \(errno)"
    }
}

/// Ends the child with `message` on stderr and a non-zero status.
func childFails(_ message: String) -> Never {
    writeAll("seccomp child: \(message)\n", to: STDERR_FILENO)
    exit(1)
}

/// The checks every seccomp child makes, for io_uring failing with `code`.
func checkRuntimeUnderSeccomp(failingWith code: Int32, expected reason: URingUnavailableError.Reason) async {
    // The parent may run with SWIFT_URING_BACKEND=fallback (scripts/test-fallback); this
    // child tests what `.automatic` itself decides.
    unsetenv(URingRuntime.Backend.environmentVariable)
    if let problem = SeccompFilter.install(failingWith: code) { childFails("cannot install the filter: \(problem)") }

    do {
        _ = try Ring(options: RingOptions(submissionQueueEntries: 2))
        childFails("io_uring_setup worked under the filter")
    } catch {
        if error.errno.rawValue != code { childFails("a bare Ring failed with \(error.errno), not errno \(code)") }
    }

    do {
        _ = try URingRuntime(URingRuntime.Configuration(workers: 1, backend: .ioURing))
        childFails("backend .ioURing started under the filter")
    } catch let error as URingUnavailableError {
        if error.reason != reason { childFails("reason \(error.reason), expected \(reason)") }
        if !error.description.contains("seccomp") { childFails("the message does not name seccomp: \(error)") }
        if !error.description.contains("io_uring_setup") { childFails("the message does not name the fix: \(error)") }
    } catch {
        childFails("backend .ioURing threw \(error), not URingUnavailableError")
    }

    do {
        let runtime = try URingRuntime(URingRuntime.Configuration(workers: 2))
        if runtime.backend != .fallback { childFails("backend \(runtime.backend), expected fallback") }
        if runtime.fallbackReason?.errno.rawValue != code {
            childFails("fallbackReason \(String(describing: runtime.fallbackReason)), expected errno \(code)")
        }
        try await withTaskExecutorPreference(runtime.executor) {
            let directory = try TemporaryDirectory()
            let path = directory.appending("seccomp-round-trip")
            let payload = randomBytes(100_000)
            try await FileSystem.write(contentsOf: payload, to: path)
            if try await FileSystem.readAll(path) != payload { childFails("file round trip: different bytes") }

            let listener = try TCPListener(binding: .ipv4Loopback())
            let server = Task(executorPreference: runtime.executor) {
                try await TCPStreamsEchoEveryByte.echo(try await listener.accept())
            }
            let message = randomBytes(70_000)
            if try await TCPStreamsEchoEveryByte.roundTrip(message, to: listener.localAddress) != message {
                childFails("TCP echo: different bytes")
            }
            try await server.value
            try await listener.close()

            let start = ContinuousClock.now
            try await URingRuntime.sleep(for: .milliseconds(20))
            if ContinuousClock.now - start < .milliseconds(20) { childFails("the sleep ended early") }
        }
        await runtime.shutdown()
        // A second runtime falls back too, without a second warning.
        let second = try URingRuntime(URingRuntime.Configuration(workers: 1))
        if second.backend != .fallback { childFails("the second runtime runs on \(second.backend)") }
        await second.shutdown()
    } catch {
        childFails("the automatic backend failed: \(error)")
    }
}

@Suite("io_uring blocked by seccomp: typed error, or the fallback")
struct BlockedIOURingGivesATypedErrorOrTheFallback {
    /// How often the fallback warning appears in a child's output.
    private func warnings(in result: ExitTest.Result?) -> Int {
        guard let result else { return -1 }
        let text = String(decoding: result.standardOutputContent + result.standardErrorContent, as: UTF8.self)
        return text.components(separatedBy: "swift-uring runs on its fallback backend").count - 1
    }

    private func childError(_ result: ExitTest.Result?) -> Comment {
        Comment(rawValue: String(decoding: result?.standardErrorContent ?? [], as: UTF8.self))
    }

    @Test("EPERM (Docker's default profile): .ioURing throws blockedByPolicy; .automatic falls back and works; warned once")
    func blockedWithEPERM() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardOutputContent, \.standardErrorContent]
        ) {
            await checkRuntimeUnderSeccomp(failingWith: EPERM, expected: .blockedByPolicy)
        }
        #expect(warnings(in: result) == 1, childError(result))
    }

    @Test("ENOSYS (no io_uring in the kernel, or hidden): .ioURing throws notSupported; .automatic falls back and works")
    func blockedWithENOSYS() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardOutputContent, \.standardErrorContent]
        ) {
            await checkRuntimeUnderSeccomp(failingWith: ENOSYS, expected: .notSupported)
        }
        #expect(warnings(in: result) == 1, childError(result))
    }
}
