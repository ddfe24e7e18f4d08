import Synchronization
import Testing
import URing
import URingExecutor

@Suite("I/O across workers", .requiresIOURing)
struct IOKeepsWorkingAcrossWorkers {
    @Test("a task that moves to another worker mid-sequence keeps reading correctly")
    func taskMovesBetweenWorkers() async throws {
        let blockSize = 256
        let contents = (0..<(blockSize * 64)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) }
        let scratch = try TemporaryFile(contents: contents)
        let moved = Shared(0)
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .readOnly)
            // Rounds until some task has run on both workers: a worker takes a peer's tasks
            // only when it holds fewer, and on a loaded machine (two workers taking turns on
            // one CPU) a round can end before that happens.
            for _ in 0..<10 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<64 {
                        group.addTask {
                            var workers = Set<Int>()
                            for step in 0..<50 {
                                let block = (task * 7 + step) % 64
                                let bytes = try await file.read(count: blockSize, at: Int64(block * blockSize))
                                #expect(bytes == Array(contents[(block * blockSize)..<((block + 1) * blockSize)]))
                                if let worker = URingExecutor.currentWorkerIndex { workers.insert(worker) }
                                // Occupy this worker for a moment so that the other one steals.
                                if step % 10 == task % 10 {
                                    let until = ContinuousClock.now + .microseconds(300)
                                    while ContinuousClock.now < until {}
                                }
                            }
                            if workers.count > 1 { moved.update { $0 += 1 } }
                        }
                    }
                    try await group.waitForAll()
                }
                if moved.value > 0 { break }
            }
            try await file.close()
        }
        // Every read checked its bytes above; this shows the migrations really happened.
        #expect(moved.value > 0, "no task ever ran on two workers; the test proved nothing")
    }
}
