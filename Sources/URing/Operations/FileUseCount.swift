// How a File or a socket knows when it may close: an atomic count of calls in flight
// plus a closed bit, so `close()` waits for every operation already submitted and
// refuses new ones. `withUse` and `close(_:)` are the one implementation both use.
//
// Any thread: `begin`/`end` bracket each call (two atomic RMWs, no lock); `close`
// sets the closed bit and, if calls are still in flight, parks its continuation until
// the last `end` resumes it.

import Glibc
import Synchronization
import URingExecutor

final class FileUseCount: Sendable {
    private static let closedBit = 1 << 62
    private let state = Atomic<Int>(0)
    private let closer = ThreadLock(Closer())

    /// What `close` waits with, and the File's registered-file table (`RegisteredFiles`),
    /// which register and close set and clear under the same lock.
    private struct Closer {
        var waiter: CheckedContinuation<Void, Never>?
        var drained = false
        var registration: RegisteredFiles?
    }

    /// Registers a call; false (and nothing registered) once the file is closing.
    @inline(__always)
    func begin() -> Bool {
        let now = state.wrappingAdd(1, ordering: .acquiring).newValue
        if now & Self.closedBit != 0 {
            end()
            return false
        }
        return true
    }

    @inline(__always)
    func end() {
        let now = state.wrappingSubtract(1, ordering: .releasing).newValue
        if now == Self.closedBit { drained() }
    }

    /// The last call of a closing file ended: resumes `close`.
    @inline(never)
    private func drained() {
        let waiter = closer.withLock { closer -> CheckedContinuation<Void, Never>? in
            closer.drained = true
            defer { closer.waiter = nil }
            return closer.waiter
        }
        waiter?.resume()
    }

    var isClosed: Bool { state.load(ordering: .relaxed) & Self.closedBit != 0 }

    /// Marks the file closed; returns false if it already was. Then waits for in-flight calls.
    func close() async -> Bool {
        let before = state.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue
        if before & Self.closedBit != 0 { return false }
        if before == 0 { return true }
        await withCheckedContinuation { continuation in
            let resumeNow = closer.withLock { closer -> Bool in
                if closer.drained { return true }
                closer.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return true
    }

    /// Runs `body` on the registration under the lock `close` uses too: a registration
    /// made here before the file is marked closed is seen by the release after it.
    func withRegistration<Result, Failure: Error>(
        _ body: (inout RegisteredFiles?) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try closer.withLock { closer throws(Failure) in try body(&closer.registration) }
    }

    /// Marks the file closed without waiting (deinit: nothing can be in flight then).
    func closeNow() -> Bool {
        state.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue & Self.closedBit == 0
    }
}

extension FileUseCount {
    /// Runs `body` as one call on the open descriptor, or throws `URingError.closed`.
    @inline(__always)
    func withUse<Result>(_ body: () async throws -> Result) async throws -> Result {
        guard begin() else { throw URingError.closed }
        defer { end() }
        return try await body()
    }

    /// Waits for the calls in flight, then closes `descriptor` through the ring. The
    /// descriptor is closed on every path: when the ring cannot take the close (the task
    /// is cancelled, a deadline cut it short, the runtime is shutting down, no runtime
    /// runs), close(2) does it here. A second close throws `URingError.closed`.
    func close(_ descriptor: FileDescriptor) async throws {
        guard await close() else { throw URingError.closed }
        do {
            try await perform(CloseOperation(descriptor: descriptor))
        } catch is CancellationError {
            _ = Glibc.close(descriptor.rawValue)
        } catch let error as URingError where error == .shutdown || error == .noRuntime || error == .deadlineExceeded {
            _ = Glibc.close(descriptor.rawValue)
        }
    }
}
