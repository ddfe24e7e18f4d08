// Running a piece of a test in a fork() child of the test process, with a bounded wait.
//
// The child runs on the thread (and inside the task) that forked. It must never suspend:
// the worker loop it would return to belongs to the parent. It reports through a pipe
// and ends with _exit. The parent polls waitpid between short sleeps and kills a child
// that takes too long, so a hang fails the test instead of hanging the suite.

import Glibc
import SystemPackage
import Testing

enum ChildStatus: Equatable, Sendable {
    case exited(Int32)
    case killedBySignal(Int32)
    /// Still running at the limit; it was killed.
    case timedOut
}

struct ForkedChild: Sendable {
    let status: ChildStatus
    /// What the child wrote to its pipe.
    let output: String
}

/// Writes `text` to `descriptor` (in the child: a plain write loop, no buffering).
func writeAll(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        // Safety: the pointer stays inside `bytes`, which lives through the write (a read).
        let written = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}

/// Forks the calling thread. The child runs `child` with the write end of a pipe; `child`
/// must end the process (`_exit`). The parent waits up to `limit` for it.
///
/// A child that is still running at `limit` is killed and the fork is tried again, up to
/// `attempts` times, saying so. A child inherits every lock as it was at the fork, and
/// the test process runs many suites at once: when another thread held one of the Swift
/// runtime's locks (its conformance cache, say) at that instant, the child waits on it
/// forever. That hang is the test harness's, not the runtime's (CI saw one under load);
/// a hang the runtime causes happens on every attempt and still fails.
func runInForkedChild(
    limit: Duration = .seconds(20), attempts: Int = 3, _ child: (_ output: Int32) async -> Never
) async throws -> ForkedChild {
    var attempt = 1
    while true {
        let outcome = try await forkOnce(limit: limit, child)
        guard outcome.status == .timedOut, attempt < attempts else { return outcome }
        print("runInForkedChild: the child was still running after \(limit) (attempt \(attempt) of \(attempts)); "
            + "it may have inherited a lock another thread held at the fork: forking again")
        attempt += 1
    }
}

private func forkOnce(
    limit: Duration, _ child: (_ output: Int32) async -> Never
) async throws -> ForkedChild {
    let (readEnd, writeEnd) = try makePipe()
    // Another test's child may inherit the write end before this one closes it: read
    // without blocking once the child is gone, rather than wait for an EOF.
    try setNonBlocking(readEnd)
    let pid = fork()
    if pid == 0 {
        close(readEnd)
        await child(writeEnd)
    }
    close(writeEnd)
    defer { close(readEnd) }
    guard pid > 0 else { throw Errno(rawValue: errno) }

    var status: ChildStatus = .timedOut
    let deadline = ContinuousClock.now + limit
    var raw: Int32 = 0
    while true {
        let reaped = waitpid(pid, &raw, WNOHANG)
        if reaped == pid {
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (macros).
            status = raw & 0x7f == 0 ? .exited((raw >> 8) & 0xff) : .killedBySignal(raw & 0x7f)
            break
        }
        if ContinuousClock.now >= deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &raw, 0)
            break
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    return ForkedChild(status: status, output: String(decoding: drainNonBlocking(readEnd), as: UTF8.self))
}

/// Why the fork+exec test is not run under ThreadSanitizer: its child, which calls into
/// Swift (an async closure) before execv, never exited in one local TSan run of the suite
/// (killed at the limit). It runs in the plain and AddressSanitizer runs.
let forkExecUnderThreadSanitizerReason: Comment =
    "between fork() and execv the child runs Swift code, which can hang in ThreadSanitizer's runtime (seen once locally)"

/// Why a fork-without-exec test is not run under ThreadSanitizer.
let forkUnderThreadSanitizerReason: Comment =
    "a fork() child that runs Swift code can hang in ThreadSanitizer's runtime, whose locks and thread a child of a multithreaded process does not inherit"
