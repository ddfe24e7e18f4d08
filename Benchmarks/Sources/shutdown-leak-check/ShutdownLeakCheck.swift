// shutdown-leak-check: a URingRuntime shut down under load, for a leak checker to watch
// (Benchmarks/scripts/leak-check runs it under AddressSanitizer with LeakSanitizer on).
//
// It starts a 2-worker runtime and puts operations in flight that will not finish on
// their own (reads on pipes nobody writes, receives on quiet socket pairs: multishot,
// from the provided-buffer pool) and tasks that loop opens/closes and reads of a real
// file (io_uring opens a FIFO without blocking, so opens are in flight only this way).
// Once the drivers report the pipe reads and receives in flight, the main thread shuts
// the runtime down; every task must end with URingError.shutdown, and the files and
// sockets are closed (close(2), the ring being gone). Once shutdown() returned and the
// tasks ended, the descriptors open are those before the runtime (shutdown closes the
// rings and eventfds though the tasks still reference the runtime); after each of the two
// rounds, those at the start. Exit status 0 when all of that held, 1 otherwise.

import Dispatch
import Glibc
import ProcessProbe
import Synchronization
import SystemPackage
import URing

/// print, flushed at once: LeakSanitizer ends the process at exit without flushing stdio.
func say(_ line: String) {
    print(line)
    fflush(nil)
}

func fail(_ message: String) -> Never {
    say("shutdown-leak-check: FAILED: \(message)")
    say("shutdown-leak-check: descriptors open now:")
    for (descriptor, target) in ProcessProbe.openDescriptorTargets() {
        say("  \(descriptor) -> \(target)")
    }
    exit(1)
}

/// How each kind of operation ended: "<kind>: <outcome>" -> count.
final class Outcomes: Sendable {
    let counts = Mutex<[String: Int]>([:])

    func record(_ kind: String, _ body: () async throws -> String) async {
        let outcome: String
        do {
            outcome = try await body()
        } catch URingError.shutdown {
            outcome = "URingError.shutdown"
        } catch {
            outcome = "\(error)"
        }
        counts.withLock { $0["\(kind): \(outcome)", default: 0] += 1 }
    }
}

@main
enum ShutdownLeakCheck {
    static let pipes = 32
    static let sockets = 32
    static let openLoops = 16
    static let fileReaders = 8

    static func main() {
        // Start Dispatch's event thread first (a timer on the global executor): its epoll,
        // eventfd and timerfd stay open for good and would blur the counts below.
        blockOn { try? await Task.sleep(for: .milliseconds(1)) }
        // Two rounds; the descriptor count must be the same after each.
        let descriptorsAtStart = ProcessProbe.openDescriptors()
        let afterFirst = round(1)
        let afterSecond = round(2)
        say("shutdown-leak-check: descriptors open: \(descriptorsAtStart) at the start, \(afterFirst) after round 1, "
            + "\(afterSecond) after round 2")
        for (number, after) in [(1, afterFirst), (2, afterSecond)] where after != descriptorsAtStart {
            fail("round \(number) left \(after - descriptorsAtStart) more descriptors open than at the start")
        }
    }

    /// Makes the pipes, sockets and data file, runs the load and the shutdown, closes and
    /// removes everything, checks how every task ended; returns the descriptors open then.
    static func round(_ number: Int) -> Int {
        let directory = "/tmp/swift-uring-leak-check-\(getpid())"
        guard mkdir(directory, 0o700) == 0 else { fail("mkdir \(directory): \(Errno(rawValue: errno))") }
        let dataPath = "\(directory)/data"
        do {
            let descriptor = try FileDescriptor.open(dataPath, .writeOnly, options: [.create], permissions: .ownerReadWrite)
            _ = try descriptor.closeAfter { try descriptor.writeAll([UInt8](repeating: 7, count: 1 << 20)) }
        } catch {
            fail("creating \(dataPath): \(error)")
        }

        var peerEnds: [Int32] = []
        var readers: [File] = []
        for _ in 0..<pipes {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { fail("pipe: \(Errno(rawValue: errno))") }
            readers.append(File(taking: FileDescriptor(rawValue: ends[0])))
            peerEnds.append(ends[1])
        }
        var streams: [TCPStream] = []
        for _ in 0..<sockets {
            var ends: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
                fail("socketpair: \(Errno(rawValue: errno))")
            }
            streams.append(TCPStream(taking: FileDescriptor(rawValue: ends[0])))
            peerEnds.append(ends[1])
        }

        let (inFlight, counts) = loadAndShutDown(readers: readers, streams: streams, dataPath: FilePath(dataPath))
        // The ring is gone: these closes are close(2) calls.
        blockOn { [readers, streams] in
            for reader in readers { try? await reader.close() }
            for stream in streams { try? await stream.close() }
        }
        readers = []
        streams = []
        for fd in peerEnds { close(fd) }
        unlink(dataPath)
        rmdir(directory)

        // Nothing was written to the pipes and sockets, and the loops stop only on an error:
        // every task must have ended with the shutdown error.
        say("shutdown-leak-check: round \(number): \(inFlight) operations in flight at shutdown; "
            + "\(counts.values.reduce(0, +)) tasks ended:")
        for (outcome, count) in counts.sorted(by: { $0.key < $1.key }) {
            say("  \(outcome) x\(count)")
        }
        let unexpected = counts.filter { !$0.key.hasSuffix(": URingError.shutdown") }
        guard unexpected.isEmpty else { fail("operations that did not end with URingError.shutdown: \(unexpected)") }
        return ProcessProbe.openDescriptors()
    }

    /// Starts a 2-worker runtime, puts the load on it, shuts it down once the pipe reads
    /// and receives are in flight, and waits for every task. The runtime is released on
    /// return (its rings and eventfds closed). Returns the operations in flight at
    /// shutdown and how the tasks ended.
    static func loadAndShutDown(readers: [File], streams: [TCPStream], dataPath: FilePath) -> (Int, [String: Int]) {
        let descriptorsBefore = ProcessProbe.openDescriptors()
        let runtime: URingRuntime
        do {
            runtime = try URingRuntime(.init(workers: 2, backend: .ioURing))
        } catch {
            fail("cannot start a runtime: \(error)")
        }
        let outcomes = Outcomes()
        let stopLoops = Atomic<Bool>(false)
        var tasks: [Task<Void, Never>] = []
        func start(_ kind: String, _ body: @escaping @Sendable () async throws -> String) {
            tasks.append(Task(executorPreference: runtime.executor) { [outcomes] in await outcomes.record(kind, body) })
        }
        for reader in readers {
            start("pipe read") { "returned \(try await reader.read(count: 64, at: 0).count) bytes" }
        }
        for stream in streams {
            start("socket receive") { "returned \(try await stream.receive(maxCount: 64).count) bytes" }
        }
        for _ in 0..<openLoops {
            start("open/close loop") {
                while !stopLoops.load(ordering: .relaxed) {
                    let file = try await File.open(dataPath, .readOnly)
                    try await file.close()
                }
                return "stopped"
            }
        }
        for _ in 0..<fileReaders {
            start("file read loop") {
                let file = try await File.open(dataPath, .readOnly)
                do {
                    while !stopLoops.load(ordering: .relaxed) {
                        _ = try await file.read(count: 4096, at: Int64.random(in: 0..<256) * 4096)
                    }
                } catch {
                    try? await file.close()
                    throw error
                }
                try await file.close()
                return "stopped"
            }
        }

        // Wait (at most 10 s) until the pipe reads and receives are all in the kernel.
        let minimumInFlight = readers.count + streams.count
        var inFlight = 0
        for _ in 0..<1_000 {
            inFlight = runtime.run { await runtime.statistics() }.reduce(0) { $0 + $1.operationsInFlight }
            if inFlight >= minimumInFlight { break }
            usleep(10_000)
        }
        guard inFlight >= minimumInFlight else {
            fail("only \(inFlight) operations in flight after 10 s (want \(minimumInFlight))")
        }

        // The blocking shutdown(), on this thread (not a worker).
        runtime.shutdown()
        stopLoops.store(true, ordering: .relaxed)
        // Every task must end (scripts/leak-check bounds the whole run in time).
        blockOn { [tasks] in
            for task in tasks { await task.value }
        }
        // The tasks closed their files before they ended, and shutdown() closed the rings
        // and eventfds: while the runtime is still referenced, nothing of it is open.
        let descriptorsAfter = withExtendedLifetime(runtime) { ProcessProbe.openDescriptors() }
        say("shutdown-leak-check: descriptors open: \(descriptorsBefore) before the runtime, \(descriptorsAfter) after shutdown and its tasks")
        guard descriptorsAfter == descriptorsBefore else {
            fail("\(descriptorsAfter - descriptorsBefore) descriptors more than before the runtime, after shutdown() returned and every task ended")
        }
        return (inFlight, outcomes.counts.withLock { $0 })
    }

    /// Runs `body` on the global executor and blocks this thread until it is done. main is
    /// synchronous because valgrind 3.19 crashes in an async main (Dispatch's main-thread
    /// parking).
    static func blockOn(_ body: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await body()
            done.signal()
        }
        done.wait()
    }
}
