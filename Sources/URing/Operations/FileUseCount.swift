// How a File or a socket knows when it may close: atomic counts of calls in flight
// plus a closed flag, so `close()` waits for every operation already submitted and
// refuses new ones. `withUse` and `close(_:)` are the one implementation both use.
//
// The count is striped: a File read from several workers at once would otherwise have
// every read and every completion do an atomic add on one cache line, bouncing it
// between cores (perf at 2 workers: the instructions after those two adds held 80-90%
// of File.read's samples, ~20 ns per read). Each call adds to the stripe of the CPU it
// runs on and subtracts from the stripe of the CPU where it ends; a call that moved
// leaves one stripe above zero and another below, and only the sum means anything.
//
// Why the sum cannot read zero while a call is in flight (all accesses sequentially
// consistent): `begin` adds, then reads the flag; `close` sets the flag, then sums. A
// begin that does not see the flag therefore precedes the flag's store, so every sum
// taken after the store sees its add; a begin that sees it takes its add back on the
// same stripe, so no sum sees that subtraction without its add. Missing a subtraction
// only makes a sum too large. And someone sees zero once the last call ends: `end`
// subtracts, then reads the flag; if the flag was not set yet, close's sum comes after
// that subtraction; if it was, this `end` sums itself. `drainedIfIdle()` may find zero
// more than once and resumes the waiting close at most once.

import CLiburing
import Glibc
import Synchronization
import URingExecutor

final class FileUseCount: Sendable {
    private let closed = Atomic<Bool>(false)
    private let stripes: Stripes
    private let closer = ThreadLock(Closer())

    /// What `close` waits with, and the File's registered-file table (`RegisteredFiles`),
    /// which register and close set and clear under the same lock.
    private struct Closer {
        var waiter: CheckedContinuation<Void, Never>?
        var drained = false
        var registration: RegisteredFiles?
    }

    /// `striped`: one count per CPU (up to `Stripes.maximumCount`) instead of one, for
    /// objects many workers call at once (a File); a socket, which one task at a time
    /// usually drives, keeps the single count (the stripes cost 128 bytes each).
    convenience init(striped: Bool = false) {
        self.init(stripeCount: striped ? Stripes.countForThisMachine : 1)
    }

    /// `stripeCount`: a power of two (tests use it to get stripes on any machine).
    init(stripeCount: Int) {
        stripes = Stripes(count: stripeCount)
    }

    /// Registers a call; false (and nothing registered) once the file is closing.
    @inline(__always)
    func begin() -> Bool { begin(on: stripes.current) }

    @inline(__always)
    func end() { end(on: stripes.current) }

    @inline(__always)
    private func begin(on counter: UnsafeMutablePointer<Atomic<Int>>) -> Bool {
        counter.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        if closed.load(ordering: .sequentiallyConsistent) {
            counter.pointee.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            drainedIfIdle()
            return false
        }
        return true
    }

    @inline(__always)
    private func end(on counter: UnsafeMutablePointer<Atomic<Int>>) {
        counter.pointee.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        if closed.load(ordering: .sequentiallyConsistent) { drainedIfIdle() }
    }

    /// Called once the flag is seen set: resumes `close` if no call is in flight.
    @inline(never)
    private func drainedIfIdle() {
        guard stripes.sum() == 0 else { return }
        let waiter = closer.withLock { closer -> CheckedContinuation<Void, Never>? in
            closer.drained = true
            defer { closer.waiter = nil }
            return closer.waiter
        }
        waiter?.resume()
    }

    var isClosed: Bool { closed.load(ordering: .relaxed) }

    /// Marks the file closed; returns false if it already was. Then waits for in-flight calls.
    func close() async -> Bool {
        if closed.exchange(true, ordering: .sequentiallyConsistent) { return false }
        if stripes.sum() == 0 { return true }
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
        !closed.exchange(true, ordering: .sequentiallyConsistent)
    }

    /// Test support: `begin` and `end` as if run on the CPU of `stripe` (modulo the
    /// stripe count), so a test can move a call between stripes.
    func begin(onStripe stripe: Int) -> Bool { begin(on: stripes.at(stripe)) }
    func end(onStripe stripe: Int) { end(on: stripes.at(stripe)) }

    var stripeCount: Int { stripes.count }
}

/// The counters, each on its own 128 bytes (a cache line and its prefetch neighbour).
private final class Stripes: Sendable {
    static let maximumCount = 8
    private static let stride = 128

    /// The largest power of two no greater than the online CPUs or `maximumCount`.
    static let countForThisMachine: Int = {
        let cpus = min(max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))), maximumCount)
        return 1 << (Int.bitWidth - 1 - cpus.leadingZeroBitCount)
    }()

    let count: Int
    // Safety: allocated and initialised in init, deinitialised and freed in deinit; the
    // counters are atomics, so any thread may use them through this pointer meanwhile.
    nonisolated(unsafe) private let base: UnsafeMutableRawPointer

    init(count: Int) {
        precondition(count > 0 && count.nonzeroBitCount == 1)
        self.count = count
        base = .allocate(byteCount: count * Self.stride, alignment: Self.stride)
        for index in 0..<count {
            (base + index * Self.stride).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        }
    }

    deinit {
        for index in 0..<count { _ = at(index).move() }
        base.deallocate()
    }

    /// The stripe of the CPU the caller runs on (it may move right after: any stripe is
    /// correct, this one is just unlikely to be shared).
    @inline(__always)
    var current: UnsafeMutablePointer<Atomic<Int>> {
        count == 1 ? at(0) : at(Int(truncatingIfNeeded: curing_current_cpu()))
    }

    @inline(__always)
    func at(_ index: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        // Safety: the index is masked into 0..<count, each bound to one Atomic<Int> in init.
        (base + (index & (count - 1)) * Self.stride).assumingMemoryBound(to: Atomic<Int>.self)
    }

    /// The calls in flight: never below the true number (see the file header).
    func sum() -> Int {
        var total = 0
        for index in 0..<count { total &+= at(index).pointee.load(ordering: .sequentiallyConsistent) }
        assert(total >= 0, "more calls ended than began")
        return total
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
