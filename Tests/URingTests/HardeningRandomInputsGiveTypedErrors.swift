// Issue 7, input fuzzing: 1,000,000 random calls through the public API with random
// paths (random bytes, NUL, empty, huge, "..", missing directories), offsets (negative,
// huge, Int64.max), lengths (0, negative, huge), descriptors, addresses and ports. No
// call may crash, and every failure must be a typed error (Errno, PathError, SocketError
// or URingError).
//
// What the calls may touch: anything they create, truncate, write, rename or remove
// lies inside a scratch directory (no "..", a small set of names so the directory stays
// small); read-only calls may name any path, but never a device or a file that would
// not end (no /dev, no /proc/kcore). Arbitrary descriptors are only ones that cannot be
// open (negative, or at or above RLIMIT_NOFILE), so nothing of the test runner's is read
// or closed. Sockets bind and connect on 127.0.0.1 only, on ports below the ephemeral
// range (other tests' listeners use ephemeral ports). SWIFT_URING_FUZZ_SEED replays a run.

import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing
import URing
import URingExecutor

@Suite("Hardening: random inputs give typed errors", .requiresIOURing)
struct HardeningRandomInputsGiveTypedErrors {
    @Test("1,000,000 random (offset, length, fd, path, address) calls: no crash, each bad input a typed error")
    func randomCallsGiveTypedErrors() async throws {
        let total = StressScale.count(1_000_000, "input fuzzing")
        let seed = HardeningSeed.seed("SWIFT_URING_FUZZ_SEED", "input fuzzing")
        let scratch = try MemoryScratchDirectory()
        let dataPath = scratch.appending("data")
        [UInt8](repeating: 0x5A, count: 65_536).withUnsafeBytes { bytes in
            let fd = open(dataPath.string, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            defer { close(fd) }
            _ = write(fd, bytes.baseAddress, bytes.count)
        }
        var limits = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits)
        let descriptorLimit = Int64(limits.rlim_cur)
        let failures = FailureLog()
        let start = ContinuousClock.now
        let lanes = 8

        // Paths past PATH_MAX (4096 bytes). Building a FilePath costs O(n²) in a debug
        // build of swift-system (invariant checks), seconds per path under the sanitizers:
        // the scaled-down sanitizer runs use names past NAME_MAX (255) instead.
        let longPaths =
            StressScale.isReduced
            ? [FilePath(scratch.path.string + "/" + String(repeating: "n", count: 300)), FilePath("/" + String(repeating: "n", count: 300))]
            : [FilePath(scratch.path.string + String(repeating: "/d", count: 2_100)), FilePath("/" + String(repeating: "n", count: 4_200))]
        let tally = try await withRuntime(workers: 2) { runtime in
            let fixtures = Fuzzer.Fixtures(
                scratch: scratch.path.string, data: try await File.open(dataPath, .readWrite),
                readOnlyData: try await File.open(dataPath, .readOnly),
                sparse: try await File.open(scratch.appending("sparse"), .readWrite, options: .create, permissions: .ownerReadWrite),
                directory: try await File.open(scratch.path, .readOnly, options: .directory),
                descriptorLimit: descriptorLimit,
                longPaths: longPaths,
                // Sanitizers spend seconds freeing a 4 GiB block (its shadow memory).
                hugeCounts: [Int.max, Int.max / 2, 1 << 46] + (StressScale.isReduced ? [] : [Int(UInt32.max) + 1]))
            let pools = Fuzzer.makePools(fixtures: fixtures, seed: seed, count: 256)
            let tally = await withTaskGroup(of: FuzzTally.self) { group in
                for lane in 0..<lanes {
                    group.addTask(executorPreference: runtime.executor) {
                        var fuzzer = Fuzzer(
                            fixtures: fixtures, failures: failures, seed: seed &+ UInt64(lane) &* 0x9E37_79B9, pools: pools)
                        for _ in stride(from: lane, to: total, by: lanes) {
                            await fuzzer.step()
                        }
                        fuzzer.buffer.bytes.deallocate()
                        return fuzzer.tally
                    }
                }
                var tally = FuzzTally()
                for await lane in group { tally.add(lane) }
                return tally
            }
            try await fixtures.data.close()
            try await fixtures.readOnlyData.close()
            try await fixtures.sparse.close()
            try await fixtures.directory.close()
            return tally
        }
        let elapsed = ContinuousClock.now - start
        let leaked = openDescriptorTargets().filter { $0.hasPrefix(scratch.path.string) }
        print(
            "input fuzzing: \(tally.calls) calls in \(seconds(elapsed)) (seed \(seed)): \(tally.succeeded) succeeded, "
                + "typed errors \(tally.errors.sorted { $0.value > $1.value }.prefix(12).map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
                + "calls by kind (count, summed time) \(tally.kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) \(seconds(tally.time[$0.key] ?? .zero))" }.joined(separator: ", "))")
        print("input fuzzing: slowest calls \(tally.slowest.map { "\(seconds($0.0)) \($0.1)" })")
        failures.expectNone("random calls (seed \(seed))")
        #expect(tally.calls == total)
        #expect(leaked.isEmpty, "descriptors left open in the scratch directory: \(leaked.prefix(5))")
    }
}

/// A scratch directory on tmpfs (/dev/shm) where there is one: the fuzzer's fsyncs and
/// creates there cost no journal commits (on ext4 each fsync stalls the other lanes'
/// metadata calls for milliseconds). Removed with its contents when released.
final class MemoryScratchDirectory: Sendable {
    let path: FilePath

    init() throws {
        let parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array((parent + "/swift-uring-fuzz-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw Errno(rawValue: errno) }
        path = FilePath(String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    func appending(_ name: String) -> FilePath { path.appending(name) }

    deinit { try? FileManager.default.removeItem(atPath: path.string) }
}

struct FuzzTally: Sendable {
    var calls = 0
    var succeeded = 0
    var errors: [String: Int] = [:]
    var kinds: [String: Int] = [:]
    var time: [String: Duration] = [:]
    /// The slowest calls, for the report.
    var slowest: [(Duration, String)] = []

    mutating func noteSlow(_ duration: Duration, _ call: String) {
        guard slowest.count < 5 || duration > slowest[slowest.count - 1].0 else { return }
        slowest.append((duration, call))
        slowest.sort { $0.0 > $1.0 }
        if slowest.count > 5 { slowest.removeLast() }
    }

    mutating func add(_ other: FuzzTally) {
        for (duration, call) in other.slowest { noteSlow(duration, call) }
        time.merge(other.time, uniquingKeysWith: +)
        calls += other.calls
        succeeded += other.succeeded
        errors.merge(other.errors, uniquingKeysWith: +)
        kinds.merge(other.kinds, uniquingKeysWith: +)
    }
}

/// One lane's generator of random calls.
struct Fuzzer {
    struct Fixtures: Sendable {
        let scratch: String
        let data: File
        let readOnlyData: File
        let sparse: File
        let directory: File
        let descriptorLimit: Int64
        /// Paths too long for the kernel, built once (see the test).
        let longPaths: [FilePath]
        /// Counts too large to allocate, and (unless scaled down) one just past 4 GiB, which
        /// a read splits into SQE-sized chunks.
        let hugeCounts: [Int]
    }

    let fixtures: Fixtures
    let failures: FailureLog
    var random: SplitMix64
    var tally = FuzzTally()
    /// A buffer reads go into (its size bounds read(into:) lengths).
    let buffer: TestBuffer
    private let readOnlyPool: [FilePath]
    private let scratchPool: [FilePath]

    init(fixtures: Fixtures, failures: FailureLog, seed: UInt64, pools: (readOnly: [FilePath], scratch: [FilePath])) {
        self.fixtures = fixtures
        self.failures = failures
        random = SplitMix64(seed: seed)
        readOnlyPool = pools.readOnly
        scratchPool = pools.scratch
        buffer = TestBuffer(bytes: .allocate(byteCount: 8192, alignment: 16))
    }

    /// Random paths, made once for all lanes: building a FilePath costs O(n²) in a debug
    /// build of swift-system (invariant checks), which dominated the run when every call
    /// built its own (and took seconds per lane under the sanitizers).
    static func makePools(fixtures: Fixtures, seed: UInt64, count: Int) -> (readOnly: [FilePath], scratch: [FilePath]) {
        var maker = Fuzzer(fixtures: fixtures, failures: FailureLog(), seed: seed, pools: ([], []))
        defer { maker.buffer.bytes.deallocate() }
        return ((0..<count).map { _ in maker.makeReadOnlyPath() }, (0..<count).map { _ in maker.makeScratchPath() })
    }

    // MARK: Random values

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func offset() -> Int64 {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return pick([-1, -4096, Int64.min, Int64.min + 1])
        case 1: return pick([Int64.max, Int64.max - 1, Int64.max - 4096, 1 << 62, 1 << 40])
        case 2: return Int64.random(in: Int64.min...Int64.max, using: &random)
        default: return Int64.random(in: 0...70_000, using: &random)
        }
    }

    mutating func count() -> Int {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return pick([-1, -4096, Int.min])
        case 1: return pick(fixtures.hugeCounts)
        case 2: return 0
        default: return Int.random(in: 1...8192, using: &random)
        }
    }

    /// A path component: ordinary, empty, dots, NUL, non-UTF-8, or too long.
    mutating func component(destructive: Bool) -> String {
        switch Int.random(in: 0..<12, using: &random) {
        case 0: return ""
        case 1: return destructive ? "." : pick([".", ".."])
        case 2: return "a\u{0}b"
        case 3: return String(repeating: "n", count: pick([255, 256, 300]))
        case 4:
            let bytes = (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 1...255, using: &random) }
            let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "/", with: "_")
            return destructive ? text.replacingOccurrences(of: ".", with: "_") : text
        case 5: return "missing-\(Int.random(in: 0..<4, using: &random))"
        default: return pick(["f0", "f1", "f2", "f3", "f4", "f5", "d0", "d1", "d2"])
        }
    }

    /// A path for calls that change nothing: anywhere, including "..", except devices.
    mutating func makeReadOnlyPath() -> FilePath {
        switch Int.random(in: 0..<8, using: &random) {
        case 0: return FilePath(pick(["", "/", ".", "..", "/proc/self/status", "/nonexistent/a/b", "relative-missing", "/etc/hostname"]))
        case 1: return FilePath(fixtures.scratch + pick(["/data", "/sparse"]))
        case 2: return pick(fixtures.longPaths)
        default:
            let parts = (0..<Int.random(in: 1...4, using: &random)).map { _ in component(destructive: false) }
            return FilePath(fixtures.scratch + "/" + parts.joined(separator: "/"))
        }
    }

    /// A path for calls that create, write or remove: inside the scratch directory, no "..".
    mutating func makeScratchPath() -> FilePath {
        if chance(2) { return fixtures.longPaths[0] }
        let parts = (0..<Int.random(in: 1...3, using: &random)).map { _ in component(destructive: true) }
        return FilePath(fixtures.scratch + "/" + parts.joined(separator: "/"))
    }

    /// Random paths come from the pools (see makePools).
    mutating func readOnlyPath() -> FilePath { pick(readOnlyPool) }
    mutating func scratchPath() -> FilePath { pick(scratchPool) }

    /// A descriptor number that cannot be open in this process.
    mutating func closedDescriptor() -> Int32 {
        if chance(50) { return pick([-1, -2, -100, Int32.min]) }
        let limit = min(fixtures.descriptorLimit, Int64(Int32.max))
        return Int32(Int64.random(in: limit...Int64(Int32.max), using: &random))
    }

    mutating func port(valid: Bool) -> Int {
        if !valid && chance(50) { return pick([-1, 65_536, Int.max, Int.min, 1 << 20]) }
        return Int.random(in: 1...32_767, using: &random)
    }

    mutating func addressText() -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return ""
        case 1: return pick(["127.0.0.1", "::1", "[::1]", "0.0.0.0", "::", "[127.0.0.1]", "::ffff:127.0.0.1"])
        case 2: return "127.0.0.1\u{0}garbage"
        case 3: return pick(["256.1.1.1", "1.2.3", "1.2.3.4.5", "::1::", "[::1", "::1]", "fe80::1%lo", "localhost", " 127.0.0.1"])
        case 4: return String(repeating: "1", count: pick([16, 64, 100_000]))
        default:
            let bytes = (0..<Int.random(in: 1...24, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    // MARK: Calls

    /// Makes one random call and checks how it ended.
    mutating func step() async {
        tally.calls += 1
        let roll = Int.random(in: 0..<100, using: &random)
        let began = ContinuousClock.now
        let kind: String
        let outcome: Result<Void, any Error>
        switch roll {
        case 0..<18: (kind, outcome) = ("open", await capture { try await self.openRandom() })
        case 18..<32: (kind, outcome) = ("read", await capture { try await self.readRandom() })
        case 32..<37: (kind, outcome) = ("write", await capture { try await self.writeRandom() })
        case 37..<44: (kind, outcome) = ("bad-fd", await capture { try await self.badDescriptor() })
        case 44..<54: (kind, outcome) = ("filesystem", await capture { try await self.fileSystemRandom() })
        case 54..<83: (kind, outcome) = ("address", await capture { try self.addressRandom() })
        case 83..<87: (kind, outcome) = ("socket", await capture { try await self.socketRandom() })
        case 87..<91: (kind, outcome) = ("stream", await capture { try await self.streamRandom() })
        default: (kind, outcome) = ("file-misc", await capture { try await self.fileMiscRandom() })
        }
        tally.kinds[kind, default: 0] += 1
        let took = ContinuousClock.now - began
        tally.time[kind, default: .zero] += took
        tally.noteSlow(took, "\(kind) \(String(describing: outcome).prefix(80))")
        switch outcome {
        case .success:
            tally.succeeded += 1
        case .failure(let error as Errno):
            tally.errors["Errno.\(error.rawValue)", default: 0] += 1
        case .failure(let error as PathError):
            tally.errors["PathError.\(error.systemCall ?? "\(error.reason)").\(error.errno.rawValue)", default: 0] += 1
        case .failure(let error as SocketError):
            tally.errors["SocketError.\(error.systemCall).\(error.errno.rawValue)", default: 0] += 1
        case .failure(let error as URingError):
            tally.errors["URingError.\(Self.caseName(error))", default: 0] += 1
        case .failure(let error):
            failures.record("\(kind): untyped error \(type(of: error)): \(error)")
        }
    }

    private func capture(_ body: () async throws -> Void) async -> Result<Void, any Error> {
        do {
            try await body()
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// The error's case for the tally (its description up to the detail).
    static func caseName(_ error: URingError) -> String {
        String(String(describing: error).prefix { $0 != ":" }.prefix(40))
    }

    /// Records a result that no input may produce.
    func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.record(message()) }
    }

    mutating func openRandom() async throws {
        let mode = pick([FileDescriptor.AccessMode.readOnly, .writeOnly, .readWrite])
        var options: FileDescriptor.OpenOptions = []
        for option in [FileDescriptor.OpenOptions.create, .truncate, .exclusiveCreate, .append, .nonBlocking, .noFollow, .directory]
        where chance(15) {
            options.insert(option)
        }
        let permissions: FilePermissions? = chance(70) ? FilePermissions(rawValue: CModeT.random(in: 0...0o7777, using: &random)) : nil
        let changes = mode != .readOnly || !options.isDisjoint(with: [.create, .truncate, .append])
        let path = changes ? scratchPath() : readOnlyPath()
        let file = try await File.open(path, mode, options: options, permissions: permissions)
        // Whatever was opened is closed, also when the read fails.
        do {
            if chance(30) {
                let bytes = try await file.read(count: 64, at: 0)
                check(bytes.count <= 64, "a read of 64 returned \(bytes.count) bytes")
            }
        } catch {
            try await file.close()
            throw error
        }
        try await file.close()
    }

    mutating func readRandom() async throws {
        let file = pick([fixtures.data, fixtures.readOnlyData, fixtures.directory])
        let offset = offset()
        if chance(50) {
            let wanted = count()
            let bytes = try await file.read(count: wanted, at: offset)
            check(bytes.count <= max(wanted, 0), "read(count: \(wanted)) returned \(bytes.count) bytes")
        } else {
            let length = Int.random(in: 0...buffer.bytes.count, using: &random)
            let count = try await file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[..<length]), at: offset)
            check((0...length).contains(count), "read(into: \(length) bytes) returned \(count)")
        }
    }

    mutating func writeRandom() async throws {
        // Small writes. `data` stays small (reads with huge counts must not copy
        // gigabytes of a sparse file's zeros); random and huge offsets go to `sparse`,
        // where they fail (EFBIG/EINVAL) or leave a hole nothing reads.
        let huge = chance(30)
        let file = huge ? fixtures.sparse : pick([fixtures.data, fixtures.data, fixtures.readOnlyData, fixtures.directory])
        let bytes = [UInt8](repeating: 0x5A, count: Int.random(in: 0...64, using: &random))
        let offset = huge ? offset() : Int64.random(in: -8...70_000, using: &random)
        if chance(50) {
            try await file.write(bytes, at: offset)
        } else {
            let length = min(bytes.count, buffer.bytes.count)
            let piece = UnsafeRawBufferPointer(rebasing: buffer.bytes[..<length])
            try await file.write([piece, piece], at: offset)
        }
    }

    mutating func badDescriptor() async throws {
        let file = File(taking: FileDescriptor(rawValue: closedDescriptor()))
        do {
            switch Int.random(in: 0..<5, using: &random) {
            case 0: _ = try await file.read(count: 16, at: 0)
            case 1: _ = try await file.status()
            case 2: try await file.syncData()
            case 3: _ = try await file.read(into: [UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[..<8])], at: 0)
            default: break
            }
        } catch {
            // The descriptor was never open: close() reports EBADF, which is typed too.
            _ = try? await file.close()
            throw error
        }
        try await file.close()
    }

    mutating func fileSystemRandom() async throws {
        switch Int.random(in: 0..<9, using: &random) {
        case 0: try await FileSystem.unlink(scratchPath())
        case 1: try await FileSystem.removeDirectory(scratchPath())
        case 2: try await FileSystem.rename(scratchPath(), to: scratchPath())
        case 3:
            try await FileSystem.createDirectory(
                scratchPath(), permissions: FilePermissions(rawValue: CModeT.random(in: 0...0o7777, using: &random)))
        case 4: _ = try await FileSystem.status(of: readOnlyPath(), followSymlinks: chance(50))
        case 5:
            let path = readOnlyPath()
            // The file written at huge offsets is sparse and too large to read whole.
            guard !path.string.hasSuffix("/sparse") else { return }
            _ = try await FileSystem.readAll(path)
        case 6:
            let bytes = [UInt8](repeating: 1, count: Int.random(in: 0...256, using: &random))
            let options = FileSystem.WriteOptions(rawValue: Int.random(in: 0...7, using: &random))
            try await FileSystem.write(contentsOf: bytes, to: scratchPath(), options: options)
        case 7:
            let source = chance(50) ? readOnlyPath() : scratchPath()
            guard !source.string.hasSuffix("/sparse") else { return }
            try await FileSystem.copy(from: source, to: scratchPath())
        default: _ = try await FileSystem.status(of: scratchPath())
        }
    }

    mutating func addressRandom() throws {
        if chance(80) {
            let address = try SocketAddress(ipAddress: addressText(), port: port(valid: chance(70)))
            check(address.port != nil && address.ipAddress != nil, "a parsed IP address has no port or text: \(address)")
        } else {
            let text: String
            switch Int.random(in: 0..<4, using: &random) {
            case 0: text = ""
            case 1: text = "/tmp/a\u{0}b"
            case 2: text = String(repeating: "s", count: pick([107, 108, 200]))
            default: text = fixtures.scratch + "/sock"
            }
            let address = try SocketAddress(unixPath: text)
            check(address.unixPath == text, "a Unix address changed its path")
        }
    }

    mutating func socketRandom() async throws {
        let address = try SocketAddress(ipAddress: pick(["127.0.0.1", "::1"]), port: port(valid: true))
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            let socket = try UDPSocket(binding: address, reuseAddress: chance(50))
            try await socket.close()
        case 1:
            let listener = try TCPListener(binding: address, backlog: pick([-1, 0, 1, 128, Int.max, Int.min]))
            try await listener.close()
        case 2:
            let stream = try await TCPStream.connect(to: address, timeout: .milliseconds(50))
            try await stream.close()
        default:
            let socket = try UDPSocket(binding: .ipv4Loopback(port: 0))
            do {
                let size = pick([0, 1, 1_400, 65_507, 65_508, 70_000])
                try await socket.send([UInt8](repeating: 7, count: size), to: address)
                let wanted = count()
                // Nothing is sent to this socket: the receive ends by its deadline (or its
                // argument is refused first).
                _ = try await URingRuntime.withTimeout(.microseconds(200)) { try await socket.receive(maxCount: wanted) }
            } catch {
                try await socket.close()
                throw error
            }
            try await socket.close()
        }
    }

    mutating func streamRandom() async throws {
        let (local, peer) = try makeSocketPair()
        defer { Glibc.close(peer) }
        let stream = TCPStream(taking: FileDescriptor(rawValue: local))
        do {
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                if chance(50) {
                    let sent = [UInt8](repeating: 3, count: Int.random(in: 1...512, using: &random)).withUnsafeBytes {
                        Glibc.send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    check(sent > 0, "a send to the stream's peer failed")
                }
                let wanted = pick([Int.min, -1, 0, 1, 64, 4_096, 65_536] + fixtures.hugeCounts)
                let bytes = try await URingRuntime.withTimeout(.microseconds(300)) { try await stream.receive(maxCount: wanted) }
                check(bytes.count <= max(wanted, 0), "receive(maxCount: \(wanted)) returned \(bytes.count) bytes")
            case 1:
                let bytes = [UInt8](repeating: 4, count: pick([0, 1, 1_000, 70_000]))
                try await URingRuntime.withTimeout(.milliseconds(5)) { try await stream.send(bytes) }
            case 2:
                try await stream.shutdown(pick([TCPStream.Direction.read, .write, .both]))
                let bytes = try await URingRuntime.withTimeout(.microseconds(300)) { try await stream.receive(maxCount: 16) }
                check(bytes.count <= 16, "a receive after shutdown returned \(bytes.count) bytes")
            case 3:
                try stream.setNoDelay(chance(50))
            default:
                _ = try stream.localAddress
                _ = try stream.peerAddress
            }
        } catch {
            try await stream.close()
            throw error
        }
        try await stream.close()
    }

    mutating func fileMiscRandom() async throws {
        let file = pick([fixtures.data, fixtures.readOnlyData, fixtures.directory])
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            let pieces = pick([0, 1, 2, 1_024, 1_025, 5_000])
            let length = Int.random(in: 0...8, using: &random)
            let buffers = [UnsafeMutableRawBufferPointer](
                repeating: UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[..<length]), count: pieces)
            let count = try await file.read(into: buffers, at: offset())
            check(count <= pieces * length, "a vectored read of \(pieces * length) returned \(count)")
        case 1:
            // Only ranges that free space may be huge; allocating a huge range would fill the disk.
            let mode = pick([File.AllocationMode(), [.keepSize], [.punchHole, .keepSize], [.punchHole], [.collapseRange], [.insertRange], [.unshareRange], [.zeroRange]])
            let huge = mode == [.punchHole, .keepSize] || mode == [.punchHole]
            let length = huge ? Int64(count()) : Int64.random(in: -16...65_536, using: &random)
            let offset = huge ? offset() : Int64.random(in: -16...65_536, using: &random)
            try await fixtures.data.allocate(offset: offset, length: length, mode: mode)
        case 2: _ = try await file.status()
        case 3: try await file.syncData()
        default: try await file.sync()
        }
    }
}
