// The NIO trait: File and TCPStream read into, write and send ByteBuffer through the ring,
// using the buffer's own storage. Built and run only with `--traits NIO`.

#if NIO
import NIOCore
import Testing
import URing

@Suite("ByteBuffers move through the ring without copies (NIO trait)", .requiresIOURing)
struct ByteBuffersMoveThroughTheRingWithoutCopies {
    static let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    @Test("a read appends at the writer index, keeps what the buffer held, and fills the buffer's own storage")
    func readAppends() async throws {
        let scratch = try TemporaryFile(contents: Self.payload)
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            var buffer = ByteBufferAllocator().buffer(capacity: 200_016)
            buffer.writeBytes([0xAA, 0xBB])
            let storage = buffer.withUnsafeReadableBytes { $0.baseAddress }
            #expect(try await file.read(into: &buffer, count: 1000, at: 5) == 1000)
            #expect(try await file.read(into: &buffer, count: 199_000, at: 1005) == 198_995)
            #expect(buffer.withUnsafeReadableBytes { $0.baseAddress } == storage)
            #expect(buffer.readableBytesView.elementsEqual([0xAA, 0xBB] + Self.payload[5...]))
            #expect(try await file.read(into: &buffer, count: 10, at: 200_000) == 0)
            #expect(buffer.readableBytes == 2 + 199_995)
            try await file.close()
        }
    }

    @Test("a read into a buffer that shares its storage with a copy leaves the copy untouched")
    func readDoesNotWriteACopy() async throws {
        let scratch = try TemporaryFile(contents: Self.payload)
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            var buffer = ByteBufferAllocator().buffer(capacity: 4096)
            buffer.writeBytes([1, 2, 3])
            let copy = buffer
            try await file.read(into: &buffer, count: 4000, at: 0)
            #expect(copy.readableBytesView.elementsEqual([1, 2, 3]))
            // The copy's storage past its writer index: the read must not have landed there.
            let copyTail = copy.withVeryUnsafeBytes { Array($0[3..<4003]) }
            #expect(!copyTail.elementsEqual(Self.payload[..<4000]))
            #expect(buffer.readableBytesView.elementsEqual([1, 2, 3] + Self.payload[..<4000]))
            try await file.close()
        }
    }

    @Test("a write sends only the readable bytes and moves no index; the bytes read back the same")
    func writeReadableBytes() async throws {
        let scratch = try TemporaryFile()
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readWrite)
            var buffer = ByteBuffer(bytes: [9, 9, 9] + Self.payload)
            buffer.moveReaderIndex(forwardBy: 3)
            try await file.write(buffer, at: 100)
            #expect(buffer.readerIndex == 3 && buffer.readableBytes == Self.payload.count)
            let back = try await file.read(count: Self.payload.count + 10, at: 100, allocator: ByteBufferAllocator())
            #expect(back.readableBytesView.elementsEqual(Self.payload))
            try await file.close()
        }
    }

    @Test("readChunks yields the range in chunks of the asked size, stopping at end of file")
    func chunks() async throws {
        let scratch = try TemporaryFile(contents: Self.payload)
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            var sizes: [Int] = []
            var all: [UInt8] = []
            for try await chunk in try file.readChunks(chunkSize: 64 * 1024, allocator: ByteBufferAllocator()) {
                sizes.append(chunk.readableBytes)
                all += chunk.readableBytesView
            }
            #expect(sizes == [65536, 65536, 65536, 3392])
            #expect(all == Self.payload)

            var middle: [UInt8] = []
            for try await chunk in try file.readChunks(chunkSize: 1000, range: 1500..<4200, allocator: ByteBufferAllocator()) {
                #expect(chunk.readableBytes <= 1000)
                middle += chunk.readableBytesView
            }
            #expect(middle == Array(Self.payload[1500..<4200]))

            var pastEnd = 0
            for try await chunk in try file.readChunks(range: 199_990..<300_000, allocator: ByteBufferAllocator()) {
                pastEnd += chunk.readableBytes
            }
            #expect(pastEnd == 10)
            try await file.close()
        }
    }

    @Test("bad arguments are typed errors and leave the buffer as it was")
    func badInput() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            var buffer = ByteBuffer(bytes: [7])
            await #expect(throws: URingError.self) { try await file.read(into: &buffer, count: -1, at: 0) }
            await #expect(throws: URingError.self) { try await file.read(into: &buffer, count: 1, at: -1) }
            await #expect(throws: URingError.self) { try await file.read(into: &buffer, count: Int(UInt32.max), at: 0) }
            #expect(throws: URingError.self) { try file.readChunks(chunkSize: 0, allocator: ByteBufferAllocator()) }
            #expect(throws: URingError.self) { try file.readChunks(range: -1..<5, allocator: ByteBufferAllocator()) }
            #expect(buffer == ByteBuffer(bytes: [7]))
            try await file.close()
            await #expect(throws: URingError.self) { try await file.read(into: &buffer, count: 1, at: 0) }
            await #expect(throws: URingError.self) { try await file.write(buffer, at: 0) }
            #expect(buffer == ByteBuffer(bytes: [7]))
        }
    }

    @Test("a stream sends a ByteBuffer's readable bytes and receives them into another, appended")
    func streamRoundTrip() async throws {
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let client = try await TCPStream.connect(to: listener.localAddress)
            let server = try await listener.accept()
            var outbound = ByteBuffer(bytes: [0] + Self.payload)
            outbound.moveReaderIndex(forwardBy: 1)
            async let sent: Void = client.send(outbound)
            var inbound = ByteBuffer(bytes: [42])
            while inbound.readableBytes < 1 + Self.payload.count {
                let count = try await server.receive(into: &inbound, maxCount: 70_000)
                #expect(count > 0 && count <= 70_000)
            }
            try await sent
            #expect(outbound.readerIndex == 1)
            #expect(inbound.readableBytesView.elementsEqual([42] + Self.payload))
            try await client.shutdown(.write)
            #expect(try await server.receive(into: &inbound, maxCount: 10) == 0)
            await #expect(throws: URingError.self) { try await server.receive(into: &inbound, maxCount: 0) }
            try await client.close()
            try await server.close()
            try await listener.close()
        }
    }
}
#endif
