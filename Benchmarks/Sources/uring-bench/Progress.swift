// The progress line: while an engine runs, a thread redraws one line on stderr (a
// terminal only) with the engine, the round, the elapsed time and the IOPS so far.
// Engines add completed operations in batches with a relaxed atomic add.

import Foundation
import Synchronization

final class Progress: Sendable {
    private let completed = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)
    private let isTerminal: Bool

    /// `quiet`: never draw (a child uring-bench shares its parent's terminal).
    init(quiet: Bool = false) {
        isTerminal = !quiet && isatty(STDERR_FILENO) == 1
    }

    /// Counts `operations` more completed operations (any thread).
    @inline(__always)
    func add(_ operations: Int) {
        completed.wrappingAdd(operations, ordering: .relaxed)
    }

    /// Runs `body` while the line shows `label`; erases the line afterwards.
    func show<Result>(_ label: String, planned: Duration, _ body: () throws -> Result) rethrows -> Result {
        guard isTerminal else { return try body() }
        completed.store(0, ordering: .relaxed)
        running.store(true, ordering: .releasing)
        let done = DispatchSemaphore(value: 0)
        let start = ContinuousClock.now
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                let elapsed = (ContinuousClock.now - start).seconds
                let operations = completed.load(ordering: .relaxed)
                let rate = operations > 0 ? "  \(formatCount(Double(operations) / max(elapsed, 1e-3))) IOPS" : ""
                let line = "  \(label)  \(format(elapsed, decimals: 1))s/\(format(planned.seconds, decimals: 1))s\(rate)"
                FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
                usleep(250_000)
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            done.signal()
        }
        thread.start()
        defer {
            running.store(false, ordering: .releasing)
            done.wait()
        }
        return try body()
    }
}
