import Testing
@_spi(URingInternals) import URing

@Suite("Ring setup failures are typed and explained")
struct RingSetupFailuresAreTypedAndExplained {
    @Test(
        "an injected setup failure gives the unavailable error with its cause",
        arguments: [
            (Errno.notPermitted, URingUnavailableError.Reason.blockedByPolicy, "seccomp"),
            (Errno.noFunction, .notSupported, "ENOSYS"),
            (Errno.permissionDenied, .accessDenied, "io_uring_group"),
            (Errno.noMemory, .lockedMemoryLimit, "RLIMIT_MEMLOCK"),
            (Errno.invalidArgument, .unsupportedOptions, "DEFER_TASKRUN"),
            (Errno.tooManyOpenFiles, .tooManyOpenFiles, "RLIMIT_NOFILE"),
        ])
    func injectedSetupFailure(errno: Errno, reason: URingUnavailableError.Reason, hint: String) {
        let options = RingOptions(faults: RingFaults(setupError: errno))
        #expect {
            _ = try Ring(options: options)
        } throws: { error in
            guard let error = error as? URingUnavailableError else { return false }
            return error.errno == errno && error.reason == reason
                && error.description.hasPrefix("io_uring is unavailable: ")
                && error.description.contains(hint)
        }
    }

    @Test("EPERM with io_uring_disabled = 2 tells the user to change the sysctl")
    func sysctlDisabledMessage() {
        let error = URingUnavailableError(errno: .notPermitted, ioUringDisabledSysctl: 2)
        #expect(error.description.contains("kernel.io_uring_disabled=0"))
    }
}
