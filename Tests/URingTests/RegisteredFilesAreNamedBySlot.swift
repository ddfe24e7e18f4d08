// Registered files (URingRuntime.Configuration.registeredFiles, RegisteredFiles.register):
// every worker ring sets up a sparse table; a registered File's reads and writes name its
// slot (IOSQE_FIXED_FILE) on each ring that installed it, which each ring does on its own
// thread the first time it sees the file. Closing the file empties the slot in every
// ring (the kernel lets go of the file), and a slot given to another file is never read
// as the old one. Where no ring holds the table (the fallback backend, another runtime),
// the same calls use the descriptor and give the same bytes.

import Glibc
import SystemPackage
import Testing
import URing

@Suite("Registered files are read and written by slot on every ring, and let go of when closed", .requiresIOURing)
struct RegisteredFilesAreNamedBySlot {
    private static func totals(_ runtime: URingRuntime) async -> (operations: Int, installs: Int, removals: Int) {
        let statistics = await runtime.statistics()
        return (
            statistics.map(\.registeredFileOperations).reduce(0, +),
            statistics.map(\.registeredFileInstalls).reduce(0, +),
            statistics.map(\.registeredFileRemovals).reduce(0, +)
        )
    }

    private static func contents(_ seed: Int, count: Int = 16384) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* seed &+ seed) }
    }

    @Test("reads and writes of a registered file from many tasks use its slot; closing it empties the slot on every ring that installed it")
    func roundTrip() async throws {
        let scratch = try TemporaryFile(contents: Self.contents(7))
        try await withRuntime(workers: 2, { $0.registeredFiles = 8 }) { runtime in
            let table = try #require(runtime.registeredFiles)
            let onRing = runtime.backend == .ioURing
            #expect(table.capacity == 8 && table.count == 0)
            #expect(table.isRegistered == onRing, "registration error: \(String(describing: table.registrationError))")
            #expect(await runtime.statistics().allSatisfy { $0.registeredFilesAvailable == onRing })
            if !onRing { #expect(table.registrationError == .invalidArgument) }

            let file = try await File.open(scratch.path, .readWrite)
            #expect(!file.isRegistered)
            try table.register(file)
            #expect(file.isRegistered && table.count == 1)
            let before = await Self.totals(runtime)

            // 32 tasks, so both workers are likely to run some; each reads a 4 KiB block
            // back after writing new bytes into it.
            let blocks = 4
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        let block = task % blocks
                        let bytes = Self.contents(task + 11, count: 4096)
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
                        defer { buffer.deallocate() }
                        let read = try await file.read(into: buffer, at: Int64(block * 4096))
                        #expect(read == 4096)
                        try await file.write(bytes, at: Int64(block * 4096 + 8192))
                        #expect(try await file.read(count: 4096, at: Int64(block * 4096 + 8192)).count == 4096)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await file.read(count: 8192, at: 0) == Array(Self.contents(7)[0..<8192]))
            let used = await Self.totals(runtime)
            // 32 × (read, write, read) plus the last read.
            #expect(used.operations - before.operations == (onRing ? 97 : 0))
            if onRing {
                #expect((1...2).contains(used.installs - before.installs))
            } else {
                #expect(used.installs == 0)
            }

            try await file.close()
            #expect(!file.isRegistered && table.count == 0)
            // The removals travel through the drivers' mailboxes: wait for them (generously).
            var after = await Self.totals(runtime)
            let watchdog = ContinuousClock.now + .seconds(60)
            while after.removals != after.installs && ContinuousClock.now < watchdog {
                try await Task.sleep(for: .milliseconds(10))
                after = await Self.totals(runtime)
            }
            #expect(after.removals == after.installs, "installed \(after.installs), removed \(after.removals)")
        }
    }

    @Test("closing a registered file lets the kernel drop it: the reader of a pipe whose write end was registered and used sees end of file")
    func closedFileIsReleased() async throws {
        var ends: [Int32] = [0, 0]
        // Close-on-exec: a child another test spawns meanwhile must not hold the write end
        // open (Glibc's module does not export pipe2).
        #expect(pipe(&ends) == 0)
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let readEnd = ends[0], writeEnd = ends[1]
        defer { _ = Glibc.close(readEnd) }
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        let pipeName = descriptorTarget(readEnd)
        let outcome = try await withRuntime(workers: 2, { $0.registeredFiles = 4 }) { runtime -> (ring: Bool, eof: Bool, operations: Int, detail: String) in
            let file = File(taking: FileDescriptor(rawValue: writeEnd))
            try #require(runtime.registeredFiles).register(file)
            for _ in 0..<8 { try await file.write([0x78], at: 0) }
            let used = await Self.totals(runtime)
            try await file.close()
            // Drain what was written, then wait for end of file: it comes only once no
            // ring's table still refers to the write end.
            var byte: UInt8 = 0
            var drained = 0
            let watchdog = ContinuousClock.now + .seconds(120)
            var eof = false
            while ContinuousClock.now < watchdog {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    drained += 1
                    continue
                }
                if count == 0 {
                    eof = true
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let after = await Self.totals(runtime)
            let holders = Self.otherProcesses(holding: pipeName)
            return (
                runtime.backend == .ioURing, eof, used.operations,
                "drained \(drained); before close \(used), after \(after); other processes holding \(pipeName): \(holders)"
            )
        }
        #expect(outcome.eof, "no end of file within 120 s after close: \(outcome.detail)")
        #expect(outcome.operations == (outcome.ring ? 8 : 0), "\(outcome.detail)")
    }

    /// Other processes with a descriptor whose /proc target is `target` ("pipe:[123]"),
    /// by pid. A fork child of another test could hold a pipe's ends.
    private static func otherProcesses(holding target: String) -> [Int32] {
        guard !target.isEmpty else { return [] }
        let me = getpid()
        return directoryNames("/proc").compactMap(Int32.init).filter { pid in
            pid != me
                && directoryNames("/proc/\(pid)/fd").contains { fd in
                    var link = [CChar](repeating: 0, count: 256)
                    let length = readlink("/proc/\(pid)/fd/\(fd)", &link, link.count - 1)
                    return length > 0
                        && String(decoding: link[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == target
                }
        }
    }

    private static func directoryNames(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            // Safety: d_name is read in place, up to its NUL (a copy of the whole struct
            // could read past a short last entry in readdir's buffer).
            let namePointer = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            names.append(String(cString: namePointer.assumingMemoryBound(to: CChar.self)))
        }
        return names
    }

    @Test("a slot freed by close and given to another file at once is never read as the old file")
    func reusedSlotIsTheNewFile() async throws {
        let first = try TemporaryFile(contents: Self.contents(3))
        let second = try TemporaryFile(contents: Self.contents(5))
        try await withRuntime(workers: 1, { $0.registeredFiles = 1 }) { runtime in
            let table = try #require(runtime.registeredFiles)
            let old = try await File.open(first.path, .readOnly)
            let new = try await File.open(second.path, .readOnly)
            try table.register(old)
            #expect(try await old.read(count: 4096, at: 0) == Array(Self.contents(3)[0..<4096]))
            try await old.close()
            // Nothing between the close's release and the next read's start lets the worker
            // drain its mailbox, so its ring still holds the old file in the slot: the new
            // generation must make it install the new one.
            try table.register(new)
            #expect(try await new.read(count: 4096, at: 0) == Array(Self.contents(5)[0..<4096]))
            #expect(try await new.read(count: 4096, at: 4096) == Array(Self.contents(5)[4096..<8192]))
            try await new.close()
        }
    }

    @Test("a registered file is read through its ring slot, not its descriptor number: the slot keeps the file the descriptor named when it was installed")
    func readThroughTheSlot() async throws {
        let first = try TemporaryFile(contents: Self.contents(3))
        let second = try TemporaryFile(contents: Self.contents(5))
        try await withRuntime(workers: 1, { $0.registeredFiles = 2 }) { runtime in
            let file = try await File.open(first.path, .readOnly)
            try #require(runtime.registeredFiles).register(file)
            #expect(try await file.read(count: 64, at: 0) == Array(Self.contents(3)[0..<64]))
            // Put the second file behind the File's descriptor number (never do this in an
            // application): the ring's slot still holds the first file; a plain read would
            // follow the number to the second.
            let other = try FileDescriptor.open(second.path, .readOnly).rawValue
            #expect(other >= 0 && dup2(other, file.descriptor.rawValue) == file.descriptor.rawValue)
            _ = Glibc.close(other)
            let expected = runtime.backend == .ioURing ? Self.contents(3) : Self.contents(5)
            #expect(try await file.read(count: 64, at: 64) == Array(expected[64..<128]))
            try await file.close()
        }
    }

    @Test("a file registered with one runtime and read on another is a plain read there, with the right bytes")
    func anotherRuntimesFile() async throws {
        let scratch = try TemporaryFile(contents: Self.contents(9))
        var otherConfiguration = URingRuntime.Configuration(workers: 1)
        otherConfiguration.registeredFiles = 2
        otherConfiguration.logger.logLevel = .error
        let other = try URingRuntime(otherConfiguration)
        defer { other.shutdown() }
        let file = try File(taking: FileDescriptor.open(scratch.path, .readOnly))
        try #require(other.registeredFiles).register(file)
        try await withRuntime(workers: 1, { $0.registeredFiles = 2 }) { runtime in
            #expect(try await file.read(count: 4096, at: 4096) == Array(Self.contents(9)[4096..<8192]))
            #expect(await Self.totals(runtime).operations == 0)
            #expect(try #require(runtime.registeredFiles).count == 0)
            try await file.close()
        }
        #expect(try #require(other.registeredFiles).count == 0)
    }

    @Test("registering a closed file, a file twice, or more files than slots is a typed error; a closed file's slot is free again")
    func misuse() async throws {
        let scratch = try TemporaryFile(contents: Self.contents(1))
        try await withRuntime(workers: 1, { $0.registeredFiles = 2 }) { runtime in
            let table = try #require(runtime.registeredFiles)
            let a = try await File.open(scratch.path, .readOnly)
            let b = try await File.open(scratch.path, .readOnly)
            let c = try await File.open(scratch.path, .readOnly)
            try table.register(a)
            #expect {
                try table.register(a)
            } throws: { isInvalidArgument($0, containing: "already registered") }
            try table.register(b)
            #expect {
                try table.register(c)
            } throws: { isInvalidArgument($0, containing: "all 2 registered-file slots are taken") }
            #expect(!c.isRegistered && table.count == 2)
            try await a.close()
            #expect(throws: URingError.closed) { try table.register(a) }
            try table.register(c)
            #expect(c.isRegistered && table.count == 2)
            #expect(try await c.read(count: 16, at: 0) == Array(Self.contents(1)[0..<16]))
            try await b.close()
            try await c.close()
            #expect(table.count == 0)
        }
    }

    @Test("a runtime without registered files has no table", arguments: [0])
    func noTable(slots: Int) async throws {
        try await withRuntime(workers: 1, { $0.registeredFiles = slots }) { runtime in
            #expect(runtime.registeredFiles == nil)
            #expect(await runtime.statistics().allSatisfy { !$0.registeredFilesAvailable })
        }
    }

    @Test("a slot count outside 0...32768 is refused with URingError.invalidArgument", arguments: [-1, 32_769])
    func invalidCapacity(slots: Int) {
        var configuration = URingRuntime.Configuration(workers: 1)
        configuration.registeredFiles = slots
        #expect {
            _ = try URingRuntime(configuration)
        } throws: { isInvalidArgument($0, containing: "registeredFiles must be 0...32768") }
    }
}
