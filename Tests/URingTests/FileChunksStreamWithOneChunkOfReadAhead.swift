import Glibc
import Testing
import URing

@Suite("readChunks hands out a file's bytes in chunks with one read ahead; write(contentsOf:) takes any AsyncSequence of chunks", .requiresIOURing)
struct FileChunksStreamWithOneChunkOfReadAhead {
    static let payload = (0..<(1 << 20) + 123).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }

    @Test("the whole file, a range inside it and a range past its end come back exactly, in full chunks and a short last one")
    func chunksAndRanges() async throws {
        let source = try TemporaryFile(contents: Self.payload)
        let empty = try TemporaryFile()
        let (whole, inside, pastEnd, none) = try await withRuntime { _ in
            try await File.withOpen(source.path, .readOnly) { file in
                var whole: [[UInt8]] = []
                for try await chunk in try file.readChunks(chunkSize: 64 * 1024) { whole.append(chunk) }
                var inside: [UInt8] = []
                for try await chunk in try file.readChunks(chunkSize: 1000, range: 777..<200_000) { inside += chunk }
                var pastEnd: [UInt8] = []
                for try await chunk in try file.readChunks(range: Int64(Self.payload.count - 10)..<Int64.max) { pastEnd += chunk }
                let none = try await File.withOpen(empty.path, .readOnly) { empty in
                    var count = 0
                    for try await _ in try empty.readChunks() { count += 1 }
                    return count
                }
                return (whole, inside, pastEnd, none)
            }
        }
        #expect(whole.dropLast().allSatisfy { $0.count == 64 * 1024 })
        #expect(whole.last?.count == Self.payload.count % (64 * 1024))
        #expect(Array(whole.joined()) == Self.payload)
        #expect(inside == Array(Self.payload[777..<200_000]))
        #expect(pastEnd == Array(Self.payload.suffix(10)))
        #expect(none == 0)
        #expect(openDescriptorCount(on: source.path) == 1)
    }

    @Test("the chunk read ahead before close() is still handed out; the next next() finds the file closed")
    func readAheadSurvivesClose() async throws {
        let source = try TemporaryFile(contents: Self.payload)
        let (first, second, afterwards) = try await withRuntime { _ in
            let file = try await File.open(source.path, .readOnly)
            var chunks = try file.readChunks(chunkSize: 4096).makeAsyncIterator()
            let first = try await chunks.next()
            try await file.close()
            let second = try await chunks.next()
            let afterwards = await #expect(throws: URingError.self) { try await chunks.next() }
            return (first, second, afterwards)
        }
        #expect(first == Array(Self.payload[..<4096]))
        #expect(second == Array(Self.payload[4096..<8192]))
        #expect(afterwards == .closed)
        #expect(openDescriptorCount(on: source.path) == 1)
    }

    @Test("an iterator left after one chunk lets the file close; bad chunk sizes and ranges are refused")
    func leavingEarlyAndBadInput() async throws {
        let source = try TemporaryFile(contents: Self.payload)
        try await withRuntime { _ in
            let file = try await File.open(source.path, .readOnly)
            for try await chunk in try file.readChunks(chunkSize: 8192) {
                #expect(chunk.count == 8192)
                break
            }
            #expect(throws: URingError.invalidArgument("chunkSize must lie in 1...67108864, got 0")) {
                try file.readChunks(chunkSize: 0)
            }
            #expect(throws: URingError.invalidArgument("the range must not start below 0, got -1")) {
                try file.readChunks(range: -1..<10)
            }
            try await file.close()
            await #expect(throws: URingError.closed) {
                for try await _ in try file.readChunks() {}
            }
        }
        #expect(openDescriptorCount(on: source.path) == 1)
    }

    @Test("write(contentsOf:at:) writes an AsyncStream's chunks back to back and a readChunks copy byte for byte")
    func writeFromSequences() async throws {
        let source = try TemporaryFile(contents: Self.payload)
        let scratch = try TemporaryDirectory()
        let streamed = scratch.appending("streamed")
        let copied = scratch.appending("copied")
        let (streamedCount, copiedCount) = try await withRuntime { _ in
            let stream = AsyncStream<[UInt8]> { continuation in
                for piece in [[1, 2, 3], [], [4], [UInt8](repeating: 5, count: 70_000)] as [[UInt8]] { continuation.yield(piece) }
                continuation.finish()
            }
            let streamedCount = try await File.withOpen(streamed, .writeOnly, options: [.create], permissions: .ownerReadWrite) {
                try await $0.write(contentsOf: stream, at: 10)
            }
            let copiedCount = try await File.withOpen(source.path, .readOnly) { input in
                try await File.withOpen(copied, .writeOnly, options: [.create], permissions: .ownerReadWrite) { output in
                    try await output.write(contentsOf: try input.readChunks(chunkSize: 100_000), at: 0)
                }
            }
            await #expect(throws: URingError.invalidArgument("offset must not be negative, got -1")) {
                try await File.withOpen(streamed, .writeOnly) { try await $0.write(contentsOf: stream, at: -1) }
            }
            return (streamedCount, copiedCount)
        }
        let streamedBytes = try await withRuntime { _ in try await FileSystem.readAll(at: streamed) }
        #expect(streamedCount == 70_004)
        #expect(streamedBytes == [UInt8](repeating: 0, count: 10) + [1, 2, 3, 4] + [UInt8](repeating: 5, count: 70_000))
        #expect(copiedCount == Int64(Self.payload.count))
        #expect(try await withRuntime { _ in try await FileSystem.readAll(at: copied) } == Self.payload)
        #expect(openDescriptorCount(on: streamed) == 0 && openDescriptorCount(on: copied) == 0)
    }
}
