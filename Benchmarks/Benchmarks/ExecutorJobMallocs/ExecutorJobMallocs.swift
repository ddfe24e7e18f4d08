// Mallocs per executor job on a one-worker URingExecutor, two ways:
// - ping-pong: two tasks hand a baton back and forth 1,000 times; each hand-off resumes
//   a continuation, which enqueues the waiting task's own job (2,000 jobs). The committed
//   threshold is 0 mallocs.
// - Task.yield: 1,000 yields. Swift's Task.yield allocates a NullaryContinuationJob per
//   call (swift_task_createNullaryContinuationJob) before any executor sees it, so the
//   threshold is 1,000: the runtime's cost, recorded so that an extra one shows up.
// Only the loops are measured (start/stopMeasurement); tasks are started before.

import Benchmark
import Synchronization
import URingExecutor

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "URingExecutor-ping-pong-x1000",
        configuration: .init(
            metrics: [.mallocCountTotal], maxDuration: .seconds(2), maxIterations: 200,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])
    ) { benchmark in
        await withTaskExecutorPreference(JobFixture.executor) {
            let ping = Baton()
            let pong = Baton()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<1000 {
                        await ping.wait()
                        pong.pass()
                    }
                }
                benchmark.startMeasurement()
                for _ in 0..<1000 {
                    ping.pass()
                    await pong.wait()
                }
                benchmark.stopMeasurement()
            }
        }
    }

    Benchmark(
        "URingExecutor-Task.yield-x1000",
        configuration: .init(
            metrics: [.mallocCountTotal], maxDuration: .seconds(2), maxIterations: 200,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 1000])])
    ) { benchmark in
        await withTaskExecutorPreference(JobFixture.executor) {
            await Task.yield()
            benchmark.startMeasurement()
            for _ in 0..<1000 {
                await Task.yield()
            }
            benchmark.stopMeasurement()
        }
    }
}

enum JobFixture {
    static let executor: URingExecutor = {
        do {
            return try URingExecutor(workers: 1)
        } catch {
            fatalError("ExecutorJobMallocs: cannot start the executor: \(error)")
        }
    }()
}

/// A one-shot signal that one task waits for and another passes: `pass` before `wait`
/// leaves it passed; `pass` after resumes the waiter (enqueueing its job).
final class Baton: Sendable {
    private enum State {
        case idle
        case passed
        case waiting(UnsafeContinuation<Void, Never>)
    }

    private let state = Mutex<State>(.idle)

    func pass() {
        let waiter: UnsafeContinuation<Void, Never>? = state.withLock { state in
            switch state {
            case .idle:
                state = .passed
                return nil
            case .waiting(let continuation):
                state = .idle
                return continuation
            case .passed:
                fatalError("Internal inconsistency: Baton passed twice")
            }
        }
        waiter?.resume()
    }

    func wait() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let resumeNow: Bool = state.withLock { state in
                switch state {
                case .passed:
                    state = .idle
                    return true
                case .idle:
                    state = .waiting(continuation)
                    return false
                case .waiting:
                    fatalError("Internal inconsistency: two waiters on one Baton")
                }
            }
            if resumeNow { continuation.resume() }
        }
    }
}
