// Helpers shared by the Hardening* stress tests: seeds for SplitMix64, a monotonic clock
// for microsecond spins, raw descriptor plumbing, and a bounded failure log (the hot
// loops record failures here instead of calling #expect a million times).

import Foundation
import Glibc
import Testing
import URing
import URingExecutor

enum HardeningSeed {
    /// The seed from `variable` (to replay a failing run), else a fresh one; printed either way.
    static func seed(_ variable: String, _ what: String) -> UInt64 {
        let seed: UInt64
        if let text = ProcessInfo.processInfo.environment[variable] {
            guard let value = UInt64(text) ?? UInt64(text.dropFirst(2), radix: 16) else {
                Issue.record("\(variable)=\"\(text)\" is not a UInt64 seed (decimal or 0x-hex)")
                return 0
            }
            seed = value
        } else {
            seed = UInt64.random(in: 0 ... .max)
        }
        print("\(what): seed \(seed) (replay with \(variable)=\(seed))")
        return seed
    }
}

/// CLOCK_MONOTONIC in nanoseconds (cheaper than ContinuousClock in a spin loop; the
/// exactly-once test's feeder spins on it: Task.sleep is far coarser than µs).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// A connected AF_UNIX stream pair, close-on-exec.
func makeSocketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
        throw Errno(rawValue: errno)
    }
    return (fds[0], fds[1])
}

/// A pipe, close-on-exec.
func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw Errno(rawValue: errno) }
    // Glibc's module does not export pipe2; no exec runs in the tests between the two calls.
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}

/// Sets O_NONBLOCK on `descriptor` (its open file description: dups share it).
func setNonBlocking(_ descriptor: Int32) throws {
    let flags = fcntl(descriptor, F_GETFL)
    guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else { throw Errno(rawValue: errno) }
}

/// Everything readable right now from a non-blocking descriptor.
func drainNonBlocking(_ descriptor: Int32) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return bytes }
        bytes += chunk[..<count]
    }
}

/// Failures from hot loops: counted, the first few kept with their details.
final class FailureLog: Sendable {
    private let state = ThreadLock<(count: Int, first: [String])>((0, []))
    private let keep: Int

    init(keep: Int = 20) { self.keep = keep }

    func record(_ message: @autoclosure () -> String) {
        let text = message()
        state.withLock { state in
            state.count += 1
            if state.first.count < keep { state.first.append(text) }
        }
    }

    var count: Int { state.withLock { $0.count } }

    /// Fails the test with the count and the first messages, if anything was recorded.
    func expectNone(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (count, first) = state.withLock { ($0.count, $0.first) }
        #expect(count == 0, "\(what): \(count) failures; first: \(first.joined(separator: " | "))", sourceLocation: sourceLocation)
    }
}

/// Seconds with millisecond precision, for the figures the tests print.
func seconds(_ duration: Duration) -> String {
    let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    return String(format: "%.3f s", ms / 1000)
}

/// Runs `body` in its own task and waits at most `limit` for it: a hang becomes a test
/// failure (with `what` and the limit) instead of a stuck test run. On a timeout the
/// task is cancelled and left behind; the caller gets nil.
func withWatchdog<Result: Sendable>(
    _ limit: Duration, _ what: String, executor: (any TaskExecutor)? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result? {
    let race = WatchdogRace<Result>()
    let task = Task(executorPreference: executor) {
        let result: Swift.Result<Result, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        race.finish(.some(result))
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000))) {
        race.finish(nil)
    }
    guard let outcome = await race.outcome() else {
        task.cancel()
        Issue.record("\(what) did not finish within \(limit): it hangs", sourceLocation: sourceLocation)
        return nil
    }
    return try outcome.get()
}

/// The first of a body's result and a watchdog's timeout.
private final class WatchdogRace<Result: Sendable>: Sendable {
    private let state = ThreadLock<(done: Swift.Result<Result, any Error>??, waiter: CheckedContinuation<Swift.Result<Result, any Error>?, Never>?)>((nil, nil))

    /// `nil` is the timeout; only the first call counts.
    func finish(_ value: Swift.Result<Result, any Error>?) {
        let waiter = state.withLock { state -> CheckedContinuation<Swift.Result<Result, any Error>?, Never>? in
            guard state.done == nil else { return nil }
            state.done = .some(value)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    func outcome() async -> Swift.Result<Result, any Error>? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Swift.Result<Result, any Error>?? in
                if let done = state.done { return .some(done) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
