// Fixed buffers (URingRuntime.Configuration.fixedBuffers): every worker ring registers the
// pool; reads and writes into one of its buffers go out as READ_FIXED/WRITE_FIXED (the
// drivers count them), anything else, and every ring that could not register (the
// fallback backend), does plain reads and writes of the same memory. Either way the bytes
// are right.

import Glibc
import SystemPackage
import Testing
import URing

@Suite("Reads and writes into fixed buffers use READ_FIXED/WRITE_FIXED, and give the same bytes as plain ones", .requiresIOURing)
struct FixedBuffersAreReadAndWrittenWithFixedOpcodes {
    private static let shape = FixedBufferConfiguration(count: 4, bufferSize: 8192)

    private static func fixedOperations(_ runtime: URingRuntime) async -> Int {
        await runtime.statistics().map(\.fixedBufferOperations).reduce(0, +)
    }

    @Test("a write from a fixed buffer and a read back into another are fixed operations on every worker's ring, with the bytes intact")
    func roundTrip() async throws {
        let scratch = try TemporaryFile()
        try await withRuntime(workers: 2, { $0.fixedBuffers = Self.shape }) { runtime in
            let pool = try #require(runtime.fixedBuffers)
            #expect(pool.count == 4 && pool.bufferSize == 8192 && pool.available == 4)
            let onRing = runtime.backend == .ioURing
            #expect(pool.isRegistered == onRing, "registration error: \(String(describing: pool.registrationError))")
            let statistics = await runtime.statistics()
            #expect(statistics.allSatisfy { $0.fixedBuffersRegistered == onRing })

            let source = try #require(pool.take()), target = try #require(pool.take())
            #expect(pool.available == 2)
            for index in 0..<source.bytes.count { source.bytes[index] = UInt8(truncatingIfNeeded: index * 7 + 3) }
            let file = try await File.open(scratch.path, .readWrite)
            let before = await Self.fixedOperations(runtime)
            // A part of a buffer is still inside it: fixed too.
            try await file.write(UnsafeRawBufferPointer(source.bytes), at: 0)
            let part = UnsafeMutableRawBufferPointer(rebasing: target.bytes[4096..<8192])
            let read = try await file.read(into: part, at: 4096)
            let whole = try await file.read(into: target.bytes, at: 0)
            let after = await Self.fixedOperations(runtime)
            try await file.close()

            #expect(read == 4096 && whole == 8192)
            #expect(target.bytes.elementsEqual(source.bytes))
            // One write and two reads, each on whichever worker ran the task.
            #expect(after - before == (onRing ? 3 : 0))
        }
    }

    @Test("memory outside the pool, or spanning two of its buffers, is read with the plain opcode and still correct")
    func plainWhereNotWhollyInsideOneBuffer() async throws {
        let contents = (0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let scratch = try TemporaryFile(contents: contents)
        try await withRuntime(workers: 1, { $0.fixedBuffers = Self.shape }) { runtime in
            let pool = try #require(runtime.fixedBuffers)
            // Two consecutive buffers: the pool hands out index 0, then 1, adjacent in memory.
            let first = try #require(pool.take()), second = try #require(pool.take())
            #expect(second.index == first.index + 1)
            #expect(first.bytes.baseAddress! + first.bytes.count == second.bytes.baseAddress!)
            let spanning = UnsafeMutableRawBufferPointer(start: first.bytes.baseAddress! + 4096, count: 8192)
            let outside = try AlignedBuffer(byteCount: 8192)
            let file = try await File.open(scratch.path, .readOnly)
            let before = await Self.fixedOperations(runtime)
            #expect(try await file.read(into: spanning, at: 0) == 8192)
            #expect(spanning.elementsEqual(contents[0..<8192]))
            #expect(try await file.read(into: outside.bytes, at: 8192) == 8192)
            #expect(outside.bytes.elementsEqual(contents[8192..<16384]))
            #expect(await Self.fixedOperations(runtime) == before)
            try await file.close()
        }
    }

    @Test("a buffer of one runtime's pool read into on another runtime is a plain read there")
    func anotherRuntimesBuffer() async throws {
        let contents = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let scratch = try TemporaryFile(contents: contents)
        var otherConfiguration = URingRuntime.Configuration(workers: 1)
        otherConfiguration.fixedBuffers = Self.shape
        otherConfiguration.logger.logLevel = .error
        let other = try URingRuntime(otherConfiguration)
        defer { other.shutdown() }
        let foreign = try #require(other.fixedBuffers?.take())
        let address = UInt(bitPattern: foreign.bytes.baseAddress)
        try await withRuntime(workers: 1, { $0.fixedBuffers = Self.shape }) { runtime in
            let memory = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: 8192)
            let file = try await File.open(scratch.path, .readOnly)
            #expect(try await file.read(into: memory, at: 0) == 8192)
            #expect(memory.elementsEqual(contents))
            #expect(await Self.fixedOperations(runtime) == 0)
            try await file.close()
        }
        withExtendedLifetime(foreign) {}
    }

    @Test("take() hands out each buffer once, returns nil when all are leased, and a released buffer comes back")
    func leasing() async throws {
        try await withRuntime(workers: 1, { $0.fixedBuffers = Self.shape }) { runtime in
            let pool = try #require(runtime.fixedBuffers)
            var leased = (0..<4).compactMap { _ in pool.take() }
            #expect(Set(leased.map(\.index)) == [0, 1, 2, 3])
            #expect(pool.take() == nil && pool.available == 0)
            let returned = leased.removeLast().index
            #expect(pool.available == 1)
            #expect(pool.take()?.index == returned)
            withExtendedLifetime(leased) {}
        }
    }

    @Test("a runtime without fixed buffers has no pool")
    func noPool() async throws {
        try await withRuntime(workers: 1) { runtime in
            #expect(runtime.fixedBuffers == nil)
            #expect(await runtime.statistics().allSatisfy { !$0.fixedBuffersRegistered })
        }
    }

    @Test(
        "an invalid pool shape is refused with URingError.invalidArgument naming the limit",
        arguments: [(0, 4096, "count"), (16_385, 4096, "count"), (4, 1000, "size"), (4, 0, "size"), (4, 1 << 31, "size"),
                    (16_384, 1 << 30, "memory")])
    func invalidShape(count: Int, size: Int, word: String) {
        var configuration = URingRuntime.Configuration(workers: 1)
        configuration.fixedBuffers = FixedBufferConfiguration(count: count, bufferSize: size)
        #expect {
            _ = try URingRuntime(configuration)
        } throws: { isInvalidArgument($0, containing: word) }
    }
}
