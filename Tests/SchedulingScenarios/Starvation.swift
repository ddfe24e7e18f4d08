// Scenarios that starve a ready task on an executor that lets it wait behind a job that
// never returns (issue: the LIFO slot). Shared by the test targets and the
// DefaultExecutorConformance executable, which runs them with the runtime as the process
// default executor. Each returns whether the ready task ran while the other job was still
// spinning or blocked; both give up after `limit`, so a starving executor fails the
// check instead of hanging.

import Dispatch
import Synchronization

/// Starts `body` as a new task on the executor under test (with a preference, or plain
/// `Task {}` when that executor is the process default).
public typealias Spawn = @Sendable (_ body: @escaping @Sendable () async -> Void) -> Void

public enum Starvation {
    /// A child resumes its parent (so the parent becomes ready on the child's worker, in its
    /// LIFO slot), then spins without yielding until the parent stops it or `limit` passes.
    /// True if the parent ran while the child still spun.
    public static func parentRunsWhileChildSpins(spawn: Spawn, limit: Duration) async -> Bool {
        let probe = SpinProbe()
        await withCheckedContinuation { (parent: CheckedContinuation<Void, Never>) in
            spawn {
                parent.resume()
                let deadline = ContinuousClock.now + limit
                while probe.isSpinning && ContinuousClock.now < deadline {}
                probe.giveUp()
            }
        }
        return probe.stop()
    }

    /// A task spawns another that signals a semaphore, then blocks its worker waiting for
    /// that signal (at most `limit`). True if the spawned task ran meanwhile.
    public static func spawnedTaskRunsWhileSpawnerBlocks(spawn: Spawn, limit: Duration) async -> Bool {
        let semaphore = DispatchSemaphore(value: 0)
        spawn { semaphore.signal() }
        let milliseconds = Int(limit.components.seconds * 1_000 + limit.components.attoseconds / 1_000_000_000_000_000)
        return semaphore.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
    }
}

/// The spinning child's state: exactly one of "the parent stopped it" and "it gave up" wins.
final class SpinProbe: Sendable {
    private static let spinning = 0, stopped = 1, gaveUp = 2
    private let state = Atomic<Int>(SpinProbe.spinning)

    var isSpinning: Bool { state.load(ordering: .acquiring) == Self.spinning }

    /// The parent ran: true if the child was still spinning (and now stops).
    func stop() -> Bool {
        state.compareExchange(expected: Self.spinning, desired: Self.stopped, ordering: .acquiringAndReleasing).exchanged
    }

    func giveUp() {
        _ = state.compareExchange(expected: Self.spinning, desired: Self.gaveUp, ordering: .acquiringAndReleasing)
    }
}
