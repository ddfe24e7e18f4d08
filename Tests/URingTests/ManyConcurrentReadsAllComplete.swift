import Synchronization
import Testing
import URing
import URingExecutor

@Suite("Many concurrent reads", .requiresIOURing)
struct ManyConcurrentReadsAllComplete {
    @Test("1,000 concurrent reads across workers each get their own bytes")
    func thousandConcurrentReads() async throws {
        let blockSize = 512
        let blocks = 256
        let contents = (0..<(blockSize * blocks)).map { UInt8(truncatingIfNeeded: $0 / blockSize &+ $0) }
        let scratch = try TemporaryFile(contents: contents)
        let workersSeen = Shared<Set<Int>>([])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        let block = (index * 37) % blocks
                        let bytes = try await file.read(count: blockSize, at: Int64(block * blockSize))
                        #expect(bytes == Array(contents[(block * blockSize)..<((block + 1) * blockSize)]))
                        if let worker = URingExecutor.currentWorkerIndex {
                            workersSeen.update { _ = $0.insert(worker) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await file.close()
        }
        #expect(workersSeen.value.count >= 1)
        #expect(workersSeen.value.isSubset(of: [0, 1]))
    }
}
