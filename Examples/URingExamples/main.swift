// swift-uring examples: `swift run URingExamples [countdown|timer|pollfn|yield|all]`.
// The program's entry is a `block_on`: URingRuntime.run blocks main until the async
// closure, running on the runtime's workers, returns.

import Glibc
import URing
import URingExecutor

let which = CommandLine.arguments.dropFirst().first ?? "all"
let known = ["countdown", "timer", "pollfn", "yield", "all"]
guard known.contains(which) else {
    print("usage: URingExamples [\(known.joined(separator: "|"))]")
    exit(2)
}

do {
    let runtime = try URingRuntime()
    defer { runtime.shutdown() }
    try runtime.run {
        if which == "countdown" || which == "all" {
            let steps = await Countdown.run(from: 5)
            print("countdown: \(steps.map(String.init).joined(separator: " ")) (on worker \(URingExecutor.currentWorkerIndex ?? -1))")
        }
        if which == "timer" || which == "all" {
            let slept = try await TimerFuture.run(milliseconds: 25)
            print("timer: ring timeout of 25 ms resumed the task after \(slept)")
        }
        if which == "pollfn" || which == "all" {
            let doubled = try await PollFunction.compute(21, using: CallbackAPI())
            print("pollfn: the callback API answered \(doubled)")
        }
        if which == "yield" || which == "all" {
            let result = try await CooperativeLoop.run(count: 5_000_000, yieldingEvery: 10_000)
            print("yield: sum \(result.sum); \(result.sleepsDone) of 10 ring sleeps finished meanwhile")
        }
    }
} catch {
    print("error: \(error)")
    exit(1)
}
