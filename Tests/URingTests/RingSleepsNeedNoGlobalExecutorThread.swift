import Dispatch
import Glibc
import Synchronization
import Testing
import URing
import URingExecutor

// Each test blocks every thread of Swift's global executor for as long as its sleep lasts,
// so each runs in a child process of its own (an exit test). In the test process other
// suites share that pool: blocked, they would stall (and time out) in turn, and a
// suite that holds a pool thread while it waits on work queued behind the blockers
// would keep the sleep from ever being tested before the blockers' watchdog.

/// Ends the child with `message` on stderr, which fails the test in the parent. The
/// status is 0 on purpose, as in ListenerKeepsServingThroughDescriptorExhaustion: a
/// status that does not match leaves the parent without the child's message.
private func poolChildFails(_ message: String) -> Never {
    writeAll("global pool child: \(message)\n", to: STDERR_FILENO)
    exit(0)
}

/// What a child that ran its sleep to the end says last.
private let sleptLine = "global pool child: the sleep ended while the pool was blocked"

private func reportSlept() {
    writeAll("\(sleptLine)\n", to: STDERR_FILENO)
}

/// The parent's side: the child said it slept and reported nothing wrong. `result` is nil
/// when the child crashed or its status was not 0 (already an issue).
private func check(_ result: ExitTest.Result?) {
    guard let result else { return }
    let errors = String(decoding: result.standardErrorContent, as: UTF8.self)
    let reports = errors.split(separator: "\n").filter { $0.hasPrefix("global pool child:") }
    #expect(reports == [Substring(sleptLine)], Comment(rawValue: errors))
}

/// The child's side of the first two tests: `sleep` runs on a fresh runtime while
/// blockers hold every global-executor thread.
private func sleepWhileGlobalPoolBlocked(
    _ what: String, _ sleep: @escaping @Sendable (URingRuntime) async throws -> Void
) async {
    let pool = GlobalPoolBlockers()
    do {
        try await withRuntime { runtime in
            // A sleep whose wake-up needed a pool thread could not end before the blockers
            // let go: they would run into their watchdog.
            let blockers = pool.start()
            try await pool.waitUntilBusy { try await URingRuntime.sleep(for: .milliseconds(1)) }
            try await sleep(runtime)
            pool.release()
            for blocker in blockers { await blocker.value }
        }
    } catch {
        poolChildFails("\(what): \(error)")
    }
    pool.checkNoneTimedOut("\(what)'s wake-up waited for a blocked global-executor thread")
    reportSlept()
}

@Suite("Sleeps need no global executor thread", .requiresIOURing)
struct RingSleepsNeedNoGlobalExecutorThread {
    @Test("URingRuntime.sleep ends while the global executor's threads are all blocked")
    func ringSleepWhileGlobalPoolBlocked() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            await sleepWhileGlobalPoolBlocked("the ring sleep") { _ in
                try await URingRuntime.sleep(for: .milliseconds(10))
            }
        })
    }

    @Test("Task.sleep in a task with the runtime's preference ends while the global executor's threads are all blocked")
    func taskSleepWhileGlobalPoolBlocked() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            // The sleep is Task.sleep in a task that prefers the runtime: its wake-up is a
            // task of the standard library's with no preference, which the timer must run
            // where it fires, not send through the blocked global executor.
            await sleepWhileGlobalPoolBlocked("Task.sleep") { runtime in
                try await Task(executorPreference: runtime.executor) {
                    try await Task.sleep(for: .milliseconds(10))
                }.value
            }
        })
    }

    @Test("Task.sleep on a standalone URingExecutor ends while the global executor's threads are all blocked")
    func executorSleepWhileGlobalPoolBlocked() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let executor: URingExecutor
            do { executor = try URingExecutor(workers: 2) } catch { poolChildFails("URingExecutor: \(error)") }
            let pool = GlobalPoolBlockers()
            // The standalone executor keeps sleeps in its TimerHeap. The waiting and the
            // sleep run on the executor, since this task runs on the blocked pool.
            let blockers = pool.start()
            let slept = Task(executorPreference: executor) { () -> Duration in
                defer { pool.release() }
                try await pool.waitUntilBusy { try await Task.sleep(for: .milliseconds(1)) }
                let start = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(10))
                return ContinuousClock.now - start
            }
            let result = await slept.result
            for blocker in blockers { await blocker.value }
            executor.shutdown()
            switch result {
            case .success(let duration) where duration >= .milliseconds(10): break
            case .success(let duration): poolChildFails("the 10 ms Task.sleep ended after \(duration)")
            case .failure(let error): poolChildFails("the Task.sleep threw \(error)")
            }
            pool.checkNoneTimedOut("Task.sleep's wake-up waited for a blocked global-executor thread")
            if executor.metrics.timersFired < 1 { poolChildFails("the executor's timer heap fired no timer") }
            reportSlept()
        })
    }
}

/// Detached tasks, two more than there are CPUs, that each hold a thread of Swift's global
/// executor until `release()`; 30 s is only a hang watchdog.
private final class GlobalPoolBlockers: Sendable {
    let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    var count: Int { cores + 2 }
    private let started = Atomic<Int>(0)
    private let timedOut = Atomic<Int>(0)
    private let semaphore = DispatchSemaphore(value: 0)

    func start() -> [Task<Void, Never>] {
        (0..<count).map { _ in
            Task.detached {
                self.started.wrappingAdd(1, ordering: .relaxed)
                if self.semaphore.wait(timeout: .now() + 30) == .timedOut {
                    self.timedOut.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
    }

    /// Waits, with `pause` between looks (30 s at most), until a blocker holds each of
    /// the pool's threads.
    func waitUntilBusy(pause: () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while started.load(ordering: .relaxed) < cores && ContinuousClock.now < deadline {
            try await pause()
        }
    }

    func release() {
        for _ in 0..<count { semaphore.signal() }
    }

    /// Ends the child with `message` if a blocker ran into its watchdog, or did not run.
    func checkNoneTimedOut(_ message: String) {
        let started = started.load(ordering: .relaxed)
        if started != count { poolChildFails("\(started) of \(count) blockers ran") }
        if timedOut.load(ordering: .relaxed) != 0 { poolChildFails(message) }
    }
}
