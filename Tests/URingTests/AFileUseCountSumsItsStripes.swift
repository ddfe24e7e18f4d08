// A File's use count is striped per CPU (FileUseCount): a call may begin on one stripe
// and end on another, so close() must wait on the sum, never on one stripe.

import Dispatch
import Synchronization
import Testing
@testable import URing
@testable import URingExecutor

// The tasks here run on a runtime's executor, like the rest of this target's tests: on the
// global cooperative pool (two threads on 2 cores) they waited minutes for a thread in
// the parallel run under ThreadSanitizer, and their 60 s watchdogs fired.
@Suite("A file's striped use count", .requiresIOURing)
struct AFileUseCountSumsItsStripes {
    @Test("close() waits for a call that began on one stripe and is still in flight after another ended elsewhere")
    func closeWaitsForTheSum() async throws {
        try await withRuntime { runtime in
            let uses = FileUseCount(stripeCount: 4)
            #expect(uses.stripeCount == 4)
            #expect(uses.begin(onStripe: 0))
            #expect(uses.begin(onStripe: 0))
            uses.end(onStripe: 1)  // stripe 0 reads 2, stripe 1 reads -1: one call in flight
            let state = RaceState()
            let closer = Task(executorPreference: runtime.executor) {
                let first = await uses.close()
                state.closeReturned.store(true, ordering: .sequentiallyConsistent)
                return first
            }
            // Wait for close() to mark the file closed (however late a loaded machine runs
            // it), then give it time to return if it wrongly would.
            _ = try await withWatchdog(.seconds(60), "close() marks the file closed", executor: runtime.executor) {
                while !uses.isClosed { try await Task.sleep(for: .milliseconds(1)) }
            }
            try await Task.sleep(for: .milliseconds(20))
            #expect(!state.hasCloseReturned, "close() returned with a call in flight")
            #expect(!uses.begin(onStripe: 2), "a call began on a closing file")
            #expect(!state.hasCloseReturned)
            uses.end(onStripe: 3)
            let first = try await withWatchdog(.seconds(60), "close() after the last call ended", executor: runtime.executor) {
                await closer.value
            }
            #expect(first == true)
            #expect(state.hasCloseReturned)
            #expect(await uses.close() == false, "a second close() must report the file already closed")
        }
    }

    @Test("close() returns at once when the calls that moved between stripes have all ended")
    func closeAfterMovedCallsEnded() async throws {
        let uses = FileUseCount(stripeCount: 4)
        // Every call begins on stripe 0 and ends on stripe 1: they read 7 and -7.
        for _ in 0..<7 {
            #expect(uses.begin(onStripe: 0))
            uses.end(onStripe: 1)
        }
        try await withRuntime { runtime in
            let first = try await withWatchdog(.seconds(60), "close() of an idle file", executor: runtime.executor) {
                await uses.close()
            }
            #expect(first == true)
            #expect(uses.isClosed)
        }
    }

    @Test("threads racing calls on random stripes with close(): close() returns only with none in flight")
    func racingCallsAndClose() async throws {
        try await withRuntime { runtime in try await Self.race(on: runtime.executor) }
    }

    private static func race(on executor: URingExecutor) async throws {
        for round in 0..<30 {
            let uses = FileUseCount(stripeCount: 4)
            let state = RaceState()
            let threads = 3
            // Threads of their own: spinning blocks on Dispatch's global queue would take
            // the threads its timers (Task.sleep, the watchdog) need on a 2-core machine.
            // Each makes a bounded number of calls, and this task waits for them by
            // polling, never by a blocking join: racers that ran until close(), or a join
            // that held one of the two cooperative threads while they ran, starved the
            // parallel test run under ThreadSanitizer for minutes.
            state.running.store(threads, ordering: .sequentiallyConsistent)
            let go = DispatchSemaphore(value: 0)
            let racers = try (0..<threads).map { thread in
                try JoinableThread {
                    defer { state.running.subtract(1, ordering: .sequentiallyConsistent) }
                    go.wait()
                    var stripe = thread
                    for _ in 0..<2_000 {
                        stripe = stripe &* 1_103_515_245 &+ 12_345
                        guard uses.begin(onStripe: stripe >> 8) else { break }
                        if state.hasCloseReturned {
                            state.afterClose.add(1, ordering: .relaxed)
                        }
                        state.inFlight.add(1, ordering: .sequentiallyConsistent)
                        stripe = stripe &* 1_103_515_245 &+ 12_345
                        state.inFlight.subtract(1, ordering: .sequentiallyConsistent)
                        uses.end(onStripe: stripe >> 8)
                    }
                }
            }
            // Close while they run: they start together, and close() follows at once.
            for _ in 0..<threads { go.signal() }
            let first = try await withWatchdog(.seconds(60), "close() racing calls (round \(round))", executor: executor) {
                await uses.close()
            }
            let stillInFlight = state.inFlight.load(ordering: .sequentiallyConsistent)
            state.closeReturned.store(true, ordering: .sequentiallyConsistent)
            _ = try await withWatchdog(.seconds(60), "the racing threads ending (round \(round))", executor: executor) {
                while state.running.load(ordering: .sequentiallyConsistent) > 0 {
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            for racer in racers { racer.join() }  // they have returned: this only reaps them
            #expect(first == true)
            #expect(stillInFlight == 0, "close() returned with \(stillInFlight) call(s) in flight (round \(round))")
            #expect(state.afterClose.load(ordering: .relaxed) == 0, "a call began after close() returned (round \(round))")
        }
    }
}

/// What the racing threads and the closing task share.
private final class RaceState: Sendable {
    let inFlight = Atomic<Int>(0)
    let afterClose = Atomic<Int>(0)
    let closeReturned = Atomic<Bool>(false)
    let running = Atomic<Int>(0)

    var hasCloseReturned: Bool { closeReturned.load(ordering: .sequentiallyConsistent) }
}
