import Testing

@testable import URingExecutor

@Suite("run (block_on)")
struct RunBlocksUntilTheClosureReturns {
    struct Oops: Error, Equatable {}

    @Test("run returns the closure's value, computed on a worker")
    func returnsValue() throws {
        let executor = try URingExecutor(workers: 2)
        defer { executor.shutdown() }
        let (value, onWorker) = executor.run { () async -> (Int, Bool) in
            async let doubled = 21 * 2
            await Task.yield()
            return (await doubled, executor.isCurrentWorkerThread)
        }
        #expect(value == 42)
        #expect(onWorker)
    }

    @Test("run rethrows the closure's typed error")
    func rethrowsTypedError() throws {
        let executor = try URingExecutor(workers: 1)
        defer { executor.shutdown() }
        #expect(throws: Oops()) {
            try executor.run { () async throws(Oops) -> Int in throw Oops() }
        }
    }

    @Test("run on a worker thread is a precondition failure")
    func runOnWorkerTraps() async {
        await #expect(processExitsWith: .failure) {
            let executor = try URingExecutor(workers: 1)
            _ = await Task(executorPreference: executor) { executor.run { 1 } }.value
        }
    }
}
