// A plain thread, outside every executor, that wakes every 10 ms and keeps the longest
// gap between two of its wake-ups. A gap far above 10 ms means the whole process was
// stopped (SIGSTOP, a debugger), not that one executor left a ready job waiting. Checks
// that compare times across such a gap say so instead of failing. (It also told CI's
// late sleepers apart from a stopped process: the pause it saw then was 0.1 s, which led
// to the real cause, Task.sleep wake-ups waiting for the global executor's threads.)

import Glibc
import Synchronization

final class ProcessPauseWitness: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let longestGapNanoseconds = Atomic<Int64>(0)

    /// Starts the witness thread; `stop()` ends it.
    init() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        // Captures nothing, so it is a C function pointer; `context` holds the witness
        // retained until the thread ends.
        let started = pthread_create(&thread, nil, { context in
            let witness = Unmanaged<ProcessPauseWitness>.fromOpaque(context!).takeRetainedValue()
            witness.watch()
            return nil
        }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ProcessPauseWitness>.fromOpaque(context).release()
            finished.store(true, ordering: .releasing)
        }
    }

    private func watch() {
        var previous = ContinuousClock.now
        while !stopped.load(ordering: .relaxed) {
            usleep(10_000)
            let now = ContinuousClock.now
            let gap = now - previous
            let nanoseconds = gap.components.seconds * 1_000_000_000 + gap.components.attoseconds / 1_000_000_000
            if nanoseconds > longestGapNanoseconds.load(ordering: .relaxed) {
                longestGapNanoseconds.store(nanoseconds, ordering: .relaxed)
            }
            previous = now
        }
        finished.store(true, ordering: .releasing)
    }

    /// Stops the thread and returns the longest gap it saw between wake-ups.
    func stop() -> Duration {
        stopped.store(true, ordering: .relaxed)
        while !finished.load(ordering: .acquiring) { usleep(1_000) }
        return .nanoseconds(longestGapNanoseconds.load(ordering: .relaxed))
    }
}
