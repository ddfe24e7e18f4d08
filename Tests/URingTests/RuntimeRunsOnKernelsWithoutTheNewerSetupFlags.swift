// A runtime whose rings cannot have SINGLE_ISSUER, COOP_TASKRUN, SUBMIT_ALL or
// DEFER_TASKRUN (a 5.15 kernel, simulated by rejecting those flags at setup) still runs
// on io_uring: files, TCP, multishot accept and sleeps work, and its statistics say
// which flags each ring has.

import Testing
@_spi(URingInternals) @testable import URing

@Suite("A runtime runs on kernels without the newer setup flags", .requiresIOURingBackend)
struct RuntimeRunsOnKernelsWithoutTheNewerSetupFlags {
    static let kernel515: RingSetupFlags = [.deferTaskRun, .singleIssuer, .cooperativeTaskRun, .submitAll]

    @Test("5.15-like rings, with or without DEFER_TASKRUN asked for: I/O works and the flags are reported", arguments: [false, true])
    func oldKernel(deferTaskRun: Bool) async throws {
        try await withRuntime({ configuration in
            configuration.deferTaskRun = deferTaskRun
            configuration.ringFaults = RingFaults(rejectedSetupFlags: Self.kernel515)
            configuration.backend = .ioURing
        }) { runtime in
            #expect(runtime.backend == .ioURing)
            let directory = try TemporaryDirectory()
            let path = directory.appending("old-kernel")
            let payload = randomBytes(50_000)
            try await FileSystem.write(contentsOf: payload, to: path)
            #expect(try await FileSystem.readAll(path) == payload)

            let listener = try TCPListener(binding: .ipv4Loopback())
            let message = randomBytes(70_000)
            #expect(try await TCPStreamsEchoEveryByte.echoFirstConnection(of: listener, on: runtime, message) == message)
            try await listener.close()
            try await URingRuntime.sleep(for: .milliseconds(5))

            let statistics = await runtime.statistics()
            #expect(!statistics.isEmpty)
            for driver in statistics {
                #expect(driver.ring.setupFlags.isDisjoint(with: Self.kernel515), "worker \(driver.worker): \(driver.ring.setupFlags)")
                #expect(driver.ring.droppedSetupFlags.contains(deferTaskRun ? .deferTaskRun : .singleIssuer))
            }
        }
    }
}
