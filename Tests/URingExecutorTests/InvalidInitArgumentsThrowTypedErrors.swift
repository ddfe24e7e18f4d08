import Testing

@testable import URingExecutor

@Suite("Executor creation")
struct InvalidInitArgumentsThrowTypedErrors {
    @Test("fewer than one worker is rejected with invalidWorkerCount", arguments: [0, -1, Int.min])
    func invalidWorkerCount(workers: Int) {
        #expect(throws: URingExecutorError.invalidWorkerCount(workers)) {
            try URingExecutor(workers: workers)
        }
    }

    @Test("a queue capacity that is not a power of two in 2...65536 is rejected",
          arguments: [0, 1, 3, 6, 100, 131_072, -4])
    func invalidQueueCapacity(capacity: Int) {
        #expect(throws: URingExecutorError.invalidQueueCapacity(capacity)) {
            try URingExecutor(workers: 1, queueCapacity: capacity)
        }
    }

    struct ParkerFailure: Error, Equatable { let index: Int }

    final class WeakParkers: Sendable {
        private let parkers = Locked<[WeakParker]>([])
        struct WeakParker: @unchecked Sendable {
            // @unchecked: the weak reference is only read under the Locked mutex.
            weak var parker: ConditionParker?
        }
        func add(_ parker: ConditionParker) { parkers.withLock { $0.append(WeakParker(parker: parker)) } }
        var created: Int { parkers.value.count }
        var alive: Int { parkers.value.filter { $0.parker != nil }.count }
    }

    @Test("a makeParker error is rethrown as is and no worker or parker is left behind")
    func parkerErrorIsRethrown() {
        let parkers = WeakParkers()
        #expect(throws: ParkerFailure(index: 2)) {
            try URingExecutor(workers: 4) { index in
                if index == 2 || index == 3 { throw ParkerFailure(index: index) }
                let parker = ConditionParker()
                parkers.add(parker)
                return parker
            }
        }
        #expect(parkers.created == 2)
        #expect(parkers.alive == 0, "the started workers must have exited and released their parkers")
    }

    @Test("makeParker runs on each worker's own thread, once per worker, before init returns")
    func makeParkerRunsOnWorkerThread() throws {
        let seen = Locked<[Int: Bool]>([:])
        let executor = try URingExecutor(workers: 3) { index in
            seen.withLock { $0[index] = URingExecutor.currentWorkerIndex == index }
            return ConditionParker()
        }
        defer { executor.shutdown() }
        #expect(seen.value == [0: true, 1: true, 2: true])
        #expect(executor.workerCount == 3)
        #expect(URingExecutor.current == nil)
    }

    @Test("the default worker count is the number of CPUs")
    func defaultWorkerCount() throws {
        let executor = try URingExecutor()
        defer { executor.shutdown() }
        #expect(executor.workerCount == URingExecutor.defaultWorkerCount)
        #expect(executor.workerCount >= 1)
        #expect(executor.queueCapacity == 256)
    }
}
