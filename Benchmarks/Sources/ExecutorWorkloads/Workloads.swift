// tokio's runtime benchmarks (benches/rt_multi_threaded.rs), in Swift. Each engine process
// (executor-bench-default, executor-bench-swift) runs one workload on one engine per
// invocation; executor-bench starts them, alternating, and prints the table.
//
//   spawn_many_local   a task spawns N tasks and waits for all of them   (ns per task)
//   spawn_many_remote  a plain thread spawns N tasks and waits           (ns per task)
//   yield_many         T tasks each call Task.yield() Y times            (ns per yield)
//   ping_pong          P task pairs bounce a message R times over continuations (ns per round trip)
//   chained_spawn      a chain of C tasks, each spawning the next        (ns per spawn)
//
// Benchmarks/tokio-peer runs the same workloads and sizes on tokio; keep the two in step.

import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

public struct Sizes: Sendable {
    public var spawnMany = 10_000
    public var yieldTasks = 1_000
    public var yieldsPerTask = 200
    public var pingPongPairs = 100
    public var pingPongRounds = 200
    public var chainLength = 1_000

    public init() {}

    /// tokio's sizes.
    public static let long: Sizes = {
        var sizes = Sizes()
        sizes.spawnMany = 100_000
        sizes.yieldsPerTask = 1_000
        sizes.pingPongPairs = 1_000
        sizes.pingPongRounds = 1_000
        sizes.chainLength = 10_000
        return sizes
    }()
}

/// How a benchmark spawns its tasks.
public struct Engine: Sendable {
    public let name: String
    private let preference: (any TaskExecutor)?

    /// Plain `Task {}`: the task runs on the process's default executor.
    public static func plain(_ name: String) -> Engine { Engine(name: name, preference: nil) }

    /// `Task(executorPreference:)`: the Swift runtime keeps the task on `executor`.
    public static func preferring(_ name: String, _ executor: any TaskExecutor) -> Engine {
        Engine(name: name, preference: executor)
    }

    func spawn(_ body: @escaping @Sendable () async -> Void) {
        if let preference {
            Task(executorPreference: preference, operation: body)
        } else {
            Task(operation: body)
        }
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

/// Runs `body` (which must call `done` once) from the calling plain thread and returns
/// elapsed nanoseconds.
func measure(_ body: (_ done: CountdownLatch) -> Void) -> Double {
    let done = CountdownLatch(count: 1)
    let start = ContinuousClock.now
    body(done)
    done.wait()
    let elapsed = ContinuousClock.now - start
    let (seconds, attoseconds) = elapsed.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

public struct Workload: Sendable {
    public let name: String
    public let unit: String
    let operations: @Sendable (Sizes) -> Int
    let run: @Sendable (Engine, Sizes, CountdownLatch) -> Void

    /// One run, in nanoseconds per operation.
    public func nanosecondsPerOperation(_ engine: Engine, _ sizes: Sizes) -> Double {
        measure { run(engine, sizes, $0) } / Double(operations(sizes))
    }
}

public let workloads: [Workload] = [
    Workload(name: "spawn_many_local", unit: "task", operations: { $0.spawnMany }) { engine, sizes, done in
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
    Workload(name: "spawn_many_remote", unit: "task", operations: { $0.spawnMany }) { engine, sizes, done in
        let count = sizes.spawnMany
        let remaining = Atomic<Int>(count)
        for _ in 0..<count {
            engine.spawn {
                if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.arrive() }
            }
        }
    },
    Workload(name: "yield_many", unit: "yield", operations: { $0.yieldTasks * $0.yieldsPerTask }) { engine, sizes, done in
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
    Workload(name: "ping_pong", unit: "round trip", operations: { $0.pingPongPairs * $0.pingPongRounds }) {
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
    Workload(name: "chained_spawn", unit: "spawn", operations: { $0.chainLength }) { engine, sizes, done in
        @Sendable func link(_ remaining: Int) {
            engine.spawn {
                if remaining == 0 { done.arrive() } else { link(remaining - 1) }
            }
        }
        link(sizes.chainLength)
    },
]

/// The engine processes' command line: `--only NAME --engine ENGINE [--long] [--runs N]`.
/// Runs the workload once to warm up, then `runs` times (default 1), printing nanoseconds
/// per operation, one line per run, on stdout.
public func runEngineProcess(_ engines: [String: () -> Engine]) {
    var sizes = Sizes()
    var only: String?
    var engineName: String?
    var runs = 1
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--long": sizes = .long
        case "--only": only = arguments.popFirst()
        case "--engine": engineName = arguments.popFirst()
        case "--runs": runs = arguments.popFirst().flatMap { Int($0) } ?? 0
        default: runs = 0
        }
    }
    guard let workload = workloads.first(where: { $0.name == only }), let engineName,
          let makeEngine = engines[engineName], runs > 0 else {
        let names = engines.keys.sorted().joined(separator: "|")
        print("usage: \(CommandLine.arguments[0]) --only WORKLOAD --engine \(names) [--long] [--runs N]")
        print("workloads: \(workloads.map(\.name).joined(separator: " "))")
        exit(2)
    }
    let engine = makeEngine()
    _ = workload.nanosecondsPerOperation(engine, sizes)
    for _ in 0..<runs {
        print(workload.nanosecondsPerOperation(engine, sizes))
    }
}
