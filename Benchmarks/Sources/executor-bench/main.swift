// executor-bench: tokio's runtime benchmarks (benches/rt_multi_threaded.rs), in Swift,
// on URingExecutor(workers: 2) and on Swift's default global executor, alternating
// engines within one process run so that machine drift hits both alike.
//
//   spawn_many_local   a task spawns N tasks and waits for all of them   (ns per task)
//   spawn_many_remote  a plain thread spawns N tasks and waits           (ns per task)
//   yield_many         T tasks each call Task.yield() Y times            (ns per yield)
//   ping_pong          P task pairs bounce a message R times over continuations (ns per round trip)
//   chained_spawn      a chain of C tasks, each spawning the next        (ns per spawn)
//
// Usage: executor-bench [--rounds N] [--long] [--only NAME] [--engine ours|default]
//   default: 5 rounds at reduced sizes (a few seconds in total);
//   --long: tokio's sizes (yield_many 1,000 x 1,000) and 10 rounds.
// Each figure is the median over rounds; the ratio is ours / default (below 1 is faster).

import Dispatch
import Synchronization
import URingExecutor

#if canImport(Glibc)
import Glibc
#endif

struct Sizes {
    var spawnMany = 10_000
    var yieldTasks = 1_000
    var yieldsPerTask = 200
    var pingPongPairs = 100
    var pingPongRounds = 200
    var chainLength = 1_000
    var rounds = 5

    static let long = Sizes(
        spawnMany: 100_000, yieldTasks: 1_000, yieldsPerTask: 1_000, pingPongPairs: 1_000,
        pingPongRounds: 1_000, chainLength: 10_000, rounds: 10)
}

/// Where a benchmark spawns its tasks: our executor, or the default global executor.
struct Engine: Sendable {
    let name: String
    let executor: URingExecutor?

    @discardableResult
    func spawn(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        if let executor {
            return Task(executorPreference: executor, operation: body)
        }
        return Task.detached(operation: body)
    }
}

/// Counts down from `count`; the last `arrive()` signals a semaphore a plain thread waits on.
final class CountdownLatch: Sendable {
    private let remaining: Atomic<Int>
    private let semaphore = DispatchSemaphore(value: 0)

    init(count: Int) { remaining = Atomic(count) }

    func arrive() {
        if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            semaphore.signal()
        }
    }

    func wait() { semaphore.wait() }
}

/// A one-slot channel: `send` resumes the receiver if it waits, else leaves a token.
final class Mailbox: Sendable {
    private struct State {
        var tokens = 0
        var waiter: UnsafeContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func send() {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.tokens += 1
            return nil
        }
        waiter?.resume()
    }

    func receive() async {
        await withUnsafeContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.tokens > 0 {
                    state.tokens -= 1
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// Runs `body` (which must call `done` once) and returns elapsed nanoseconds.
func measure(_ body: (_ done: CountdownLatch) -> Void) -> Double {
    let done = CountdownLatch(count: 1)
    let start = ContinuousClock.now
    body(done)
    done.wait()
    let elapsed = ContinuousClock.now - start
    let (seconds, attoseconds) = elapsed.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

struct Benchmark {
    let name: String
    let unit: String
    let operations: (Sizes) -> Int
    let run: (Engine, Sizes, CountdownLatch) -> Void
}

let benchmarks: [Benchmark] = [
    Benchmark(name: "spawn_many_local", unit: "task", operations: { $0.spawnMany }) { engine, sizes, done in
        let count = sizes.spawnMany
        engine.spawn {
            let all = Mailbox()
            let remaining = Atomic<Int>(count)
            for _ in 0..<count {
                engine.spawn {
                    if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { all.send() }
                }
            }
            await all.receive()
            done.arrive()
        }
    },
    Benchmark(name: "spawn_many_remote", unit: "task", operations: { $0.spawnMany }) { engine, sizes, done in
        let count = sizes.spawnMany
        let remaining = Atomic<Int>(count)
        for _ in 0..<count {
            engine.spawn {
                if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.arrive() }
            }
        }
    },
    Benchmark(name: "yield_many", unit: "yield", operations: { $0.yieldTasks * $0.yieldsPerTask }) { engine, sizes, done in
        let tasks = CountdownLatch(count: sizes.yieldTasks)
        let yields = sizes.yieldsPerTask
        for _ in 0..<sizes.yieldTasks {
            engine.spawn {
                for _ in 0..<yields { await Task.yield() }
                tasks.arrive()
            }
        }
        DispatchQueue.global().async {
            tasks.wait()
            done.arrive()
        }
    },
    Benchmark(name: "ping_pong", unit: "round trip", operations: { $0.pingPongPairs * $0.pingPongRounds }) {
        engine, sizes, done in
        let pairs = CountdownLatch(count: sizes.pingPongPairs)
        let rounds = sizes.pingPongRounds
        for _ in 0..<sizes.pingPongPairs {
            let ping = Mailbox()
            let pong = Mailbox()
            engine.spawn {
                for _ in 0..<rounds {
                    await ping.receive()
                    pong.send()
                }
            }
            engine.spawn {
                for _ in 0..<rounds {
                    ping.send()
                    await pong.receive()
                }
                pairs.arrive()
            }
        }
        DispatchQueue.global().async {
            pairs.wait()
            done.arrive()
        }
    },
    Benchmark(name: "chained_spawn", unit: "spawn", operations: { $0.chainLength }) { engine, sizes, done in
        @Sendable func link(_ remaining: Int) {
            engine.spawn {
                if remaining == 0 { done.arrive() } else { link(remaining - 1) }
            }
        }
        link(sizes.chainLength)
    },
]

// MARK: Command line

var sizes = Sizes()
var only: String?
var engineFilter: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--long":
        sizes = .long
    case "--rounds":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else {
            fatalError("--rounds needs a positive number")
        }
        sizes.rounds = value
    case "--only":
        only = arguments.popFirst()
    case "--engine":
        engineFilter = arguments.popFirst()  // for profiling one engine; no ratio then
    default:
        print("usage: executor-bench [--rounds N] [--long] [--only NAME] [--engine ours|default]")
        exit(2)
    }
}

let ours = Engine(name: "URingExecutor(2)", executor: try URingExecutor(workers: 2))
let platform = Engine(name: "default", executor: nil)

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

print("executor-bench: \(sizes.rounds) rounds, engines alternate; ns per op, median over rounds")
let header: [String] = ["benchmark".rightPadded(18), "unit".rightPadded(12),
                        "ours".leftPadded(10), "default".leftPadded(10), "ratio".leftPadded(8)]
print(header.joined())
for benchmark in benchmarks where only == nil || only == benchmark.name {
    let operations = Double(benchmark.operations(sizes))
    var results: [String: [Double]] = [ours.name: [], platform.name: []]
    // A warm-up run of each engine, not counted.
    let engines = [ours, platform].filter { engine in
        switch engineFilter {
        case "ours": engine.executor != nil
        case "default": engine.executor == nil
        default: true
        }
    }
    for engine in engines {
        _ = measure { benchmark.run(engine, sizes, $0) }
    }
    for round in 0..<sizes.rounds {
        let order = round % 2 == 0 ? engines : engines.reversed()
        for engine in order {
            let nanoseconds = measure { benchmark.run(engine, sizes, $0) }
            results[engine.name]!.append(nanoseconds / operations)
        }
    }
    let oursPerOp = results[ours.name]!.isEmpty ? .nan : median(results[ours.name]!)
    let defaultPerOp = results[platform.name]!.isEmpty ? .nan : median(results[platform.name]!)
    let row: [String] = [benchmark.name.rightPadded(18), benchmark.unit.rightPadded(12),
                         format(oursPerOp).leftPadded(10), format(defaultPerOp).leftPadded(10),
                         format(oursPerOp / defaultPerOp, digits: 2).leftPadded(8)]
    print(row.joined())
}
let metrics = ours.executor!.metrics
print("URingExecutor metrics: \(metrics)")
ours.executor!.shutdown()

func format(_ value: Double, digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return "\(rounded)"
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
