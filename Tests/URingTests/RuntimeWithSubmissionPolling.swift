// Configuration.submissionPollIdle: every worker ring is set up with IORING_SETUP_SQPOLL
// (a kernel thread takes the SQEs), without the task-run flags the kernel refuses next to
// it, and everything the runtime does works on such rings: files, TCP, sleeps,
// cancellation. Invalid values throw before anything starts.

import Testing
@_spi(URingInternals) @testable import URing

@Suite("A runtime with SQPOLL rings", .requiresIOURingBackend)
struct RuntimeWithSubmissionPolling {
    @Test("SQPOLL rings get every other flag the runtime asks for, and files, TCP, sleeps and cancellation work")
    func polledRingsWork() async throws {
        do {
            try await withRuntime({ configuration in
                configuration.backend = .ioURing
                configuration.submissionPollIdle = .milliseconds(20)
            }) { runtime in try await Self.exercise(runtime) }
        } catch let error as URingUnavailableError {
            print("skipped: this kernel refuses an SQPOLL ring here: \(error)")
        }
    }

    private static func exercise(_ runtime: URingRuntime) async throws {
        let statistics = await runtime.statistics()
        #expect(statistics.count == 2)
        for driver in statistics {
            // The kernel refuses COOP_TASKRUN and TASKRUN_FLAG on an SQPOLL ring: asked
            // for anyway, setup would drop SINGLE_ISSUER before them.
            #expect(driver.ring.setupFlags.contains(.submissionPoll), "worker \(driver.worker): \(driver.ring.setupFlags)")
            #expect(driver.ring.setupFlags.contains(.singleIssuer), "worker \(driver.worker): \(driver.ring.setupFlags)")
            #expect(driver.ring.droppedSetupFlags.isEmpty, "worker \(driver.worker): dropped \(driver.ring.droppedSetupFlags)")
        }

        let directory = try TemporaryDirectory()
        let path = directory.appending("polled")
        let payload = randomBytes(300_000)
        try await FileSystem.write(contentsOf: payload, to: path)
        #expect(try await FileSystem.readAll(path) == payload)
        // 64 reads in flight at once, across both workers.
        let file = try await File.open(path, .readOnly)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask(executorPreference: runtime.executor) {
                    let offset = index * 4096
                    let bytes = try await file.read(count: 4096, at: Int64(offset))
                    #expect(bytes[...] == payload[offset..<offset + 4096], "read \(index)")
                }
            }
            try await group.waitForAll()
        }
        try await file.close()

        let listener = try TCPListener(binding: .ipv4Loopback())
        let message = randomBytes(70_000)
        #expect(try await TCPStreamsEchoEveryByte.echoFirstConnection(of: listener, on: runtime, message) == message)

        // After the poller's idle time: the next submission must wake it.
        try await URingRuntime.sleep(for: .milliseconds(60))
        let accepter = Task(executorPreference: runtime.executor) { try await listener.accept() }
        try await URingRuntime.sleep(for: .milliseconds(20))
        accepter.cancel()
        await #expect(throws: CancellationError.self) { try await accepter.value }
        try await listener.close()
    }

}

/// The checks run before a backend is chosen, so on both.
@Suite("SQPOLL configuration errors")
struct SubmissionPollingConfigurationErrors {
    @Test("an idle time out of 1 ms...60 s, or SQPOLL with deferTaskRun, throws invalidArgument")
    func invalidConfigurations() {
        for idle: Duration in [.zero, .microseconds(999), .seconds(61)] {
            var configuration = URingRuntime.Configuration(workers: 1)
            configuration.submissionPollIdle = idle
            #expect("idle \(idle)") {
                _ = try URingRuntime(configuration)
            } throws: { error in
                isInvalidArgument(error, containing: "submissionPollIdle must be 1 ms...60 s")
            }
        }
        var configuration = URingRuntime.Configuration(workers: 1, deferTaskRun: true)
        configuration.submissionPollIdle = .milliseconds(10)
        #expect("SQPOLL with deferTaskRun") {
            _ = try URingRuntime(configuration)
        } throws: { error in
            isInvalidArgument(error, containing: "deferTaskRun")
        }
    }
}
