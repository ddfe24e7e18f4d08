// Configuration.spinBeforeParking: a worker with operations in flight polls its ring for
// that long before it sleeps there. A completion, or work from another thread (mail plus
// an unpark), ends the polling at once; a worker with nothing in flight sleeps at once;
// values outside 0...1 s are refused with a typed error.

import Dispatch
import Glibc
import Testing
import URing

@Suite("Configuration.spinBeforeParking: polling before parking, only with operations in flight", .requiresIOURingBackend)
struct AWorkerSpinsBeforeParkingOnlyWithOperationsInFlight {
    @Test("it is off by default, and outside 0...1 s it is a typed error")
    func range() {
        #expect(URingRuntime.Configuration().spinBeforeParking == .zero)
        for bad in [Duration.microseconds(-1), .milliseconds(1_001)] {
            var configuration = URingRuntime.Configuration(workers: 1)
            configuration.spinBeforeParking = bad
            #expect {
                _ = try URingRuntime(configuration)
            } throws: { error in
                isInvalidArgument(error, containing: "spinBeforeParking must be 0...1 s")
            }
        }
    }

    @Test(
        "a worker waiting for a read polls, and mail from another thread or the read's completion ends the polling",
        arguments: [false, true])
    func completionsAndWakeUpsEndTheSpin(deferTaskRun: Bool) async throws {
        // Each attempt gives the worker 20 ms to start polling (it may poll for 1 s) before
        // the event comes; on a loaded machine a thread can miss that, so up to 10 tries.
        let attempts = 10
        let pipe = try Pipe()
        let (asks, completions, enters) = try await withRuntime(workers: 1, {
            $0.spinBeforeParking = .seconds(1)
            // With DEFER_TASKRUN completion work runs only when the worker enters the
            // kernel: the flag is all that tells a polling worker to.
            $0.deferTaskRun = deferTaskRun
        }) { runtime in
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            var asks = 0, completions = 0
            // io_uring_enter calls from the second request to the read's return, in the
            // attempts where the completion ended the polling.
            var enters: [Int] = []
            for attempt in 0..<attempts where asks == 0 || completions == 0 {
                let byte = UInt8(attempt)
                let reader = Task(executorPreference: runtime.executor) { try await file.read(count: 1, at: 0) }
                var before = await runtime.statistics()[0]
                for _ in 0..<1_000 where before.operationsInFlight == 0 {
                    try await Task.sleep(for: .milliseconds(1))
                    before = await runtime.statistics()[0]
                }
                try #require(before.operationsInFlight >= 1, "the read never started")

                // Another thread asks while the worker polls: the request's unpark (an
                // eventfd write, whose read completes in the ring) ends the polling.
                let asked = await Task.detached {
                    try? await Task.sleep(for: .milliseconds(20))
                    return await runtime.statistics()[0]
                }.value
                if asked.spinsEndedByWork > before.spinsEndedByWork { asks += 1 }

                // Back on the worker (the detached task's end woke it too): from here on
                // only the byte's completion can end a polling.
                let ready = await runtime.statistics()[0]

                // The byte arrives while the worker polls again: its completion ends it.
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) {
                    do { _ = try pipe.writeEnd.writeAll([byte]) } catch { Issue.record("writing the pipe failed: \(error)") }
                }
                #expect(try await reader.value == [byte])
                let after = await runtime.statistics()[0]
                if after.spinsEndedByWork > ready.spinsEndedByWork {
                    completions += 1
                    if after.ring.setupFlags.contains(.taskRunFlag) {
                        enters.append(after.ring.enterCalls - ready.ring.enterCalls)
                    } else {
                        print("the kernel refused IORING_SETUP_TASKRUN_FLAG: each poll entered it")
                    }
                }
            }
            try await file.close()
            return (asks, completions, enters)
        }
        print("DEFER_TASKRUN \(deferTaskRun): polling ended by another thread's request in \(asks), by the read's completion in \(completions) of at most \(attempts) attempts; io_uring_enter calls while polling: \(enters)")
        #expect(asks > 0, "no request from another thread ended the polling")
        #expect(completions > 0, "no completion ended the polling")
        // With TASKRUN_FLAG the polling reads memory: a few enters (the completion work,
        // the statistics requests), not one per poll over 20 ms (tens of thousands).
        #expect(enters.allSatisfy { $0 < 1_000 }, "the worker entered the kernel at every poll: \(enters)")
    }

    @Test("a worker with nothing in flight sleeps at once")
    func idleWorkersDoNotSpin() async throws {
        let statistics = try await withRuntime(workers: 1, { $0.spinBeforeParking = .seconds(1) }) { runtime in
            let before = await runtime.statistics()[0]
            var after = before
            // Five sleeps normally make five parks. On a loaded machine (sanitizers, busy
            // cores) a sleep's timer can fall due before the worker reaches its park, so
            // sleep on until five parks were seen (20 rounds at most: a hang watchdog).
            for _ in 0..<20 {
                for _ in 0..<5 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                after = await runtime.statistics()[0]
                if after.parks - before.parks >= 5 { break }
            }
            return (parks: after.parks - before.parks, spinning: after.spinningParks - before.spinningParks)
        }
        print("idle worker: \(statistics.parks) parks, \(statistics.spinning) of them polling first")
        #expect(statistics.parks >= 5)
        #expect(statistics.spinning == 0, "a worker with nothing in flight polled before sleeping")
    }
}
