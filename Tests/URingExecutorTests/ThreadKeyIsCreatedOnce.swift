// ThreadKey: the pthread key CurrentWorker and CurrentDriver keep in a statically
// initialized Atomic, created by whichever thread stores first.

import Glibc
import Synchronization
import Testing
@testable import URingExecutor

@Suite("ThreadKey is created once, by whichever thread stores first")
struct ThreadKeyIsCreatedOnce {
    private final class Storage: Sendable {
        let key = Atomic<UInt32>(0)
        let creations = Atomic<Int>(0)
    }

    /// A pthread barrier the racing threads block on, so that they start together without
    /// spinning (8 spinning threads on 2 cores starved the rest of the suite under TSan).
    private final class StartLine: @unchecked Sendable {
        // @unchecked: the barrier is only used through pthread_barrier_wait, which is thread-safe.
        let barrier = UnsafeMutablePointer<pthread_barrier_t>.allocate(capacity: 1)
        init(count: UInt32) { pthread_barrier_init(barrier, nil, count) }
        deinit {
            pthread_barrier_destroy(barrier)
            barrier.deallocate()
        }
        func wait() { _ = pthread_barrier_wait(barrier) }
    }

    @Test("no key and no value before the first store; the stored value after it")
    func readsBeforeTheFirstStoreFindNothing() {
        let storage = Storage()
        #expect(ThreadKey.existing(storage.key) == nil)
        #expect(ThreadKey.value(storage.key) == nil)
        let key = ThreadKey.key(storage.key)
        defer { pthread_key_delete(key) }
        #expect(ThreadKey.existing(storage.key) == key)
        #expect(ThreadKey.value(storage.key) == nil)
        let marker = UnsafeMutableRawPointer(bitPattern: 0x5EED)
        pthread_setspecific(key, marker)
        #expect(ThreadKey.value(storage.key) == marker)
        #expect(ThreadKey.key(storage.key) == key)
    }

    @Test("8 threads racing to create it, 200 times: one key each time, created once")
    func racingThreadsAgreeOnOneKey() throws {
        for _ in 0..<200 {
            let storage = Storage()
            let start = StartLine(count: 8)
            let results = Atomic<Int>(0)
            let firstKey = Atomic<Int>(-1)
            let disagreements = Atomic<Int>(0)
            let threads = try (0..<8).map { _ in
                try JoinableThread {
                    start.wait()  // all 8 leave together
                    let key = ThreadKey.key(storage.key, created: { _ in
                        storage.creations.add(1, ordering: .relaxed)
                    })
                    let (isFirst, first) = firstKey.compareExchange(
                        expected: -1, desired: Int(key), ordering: .acquiringAndReleasing)
                    if !isFirst && first != Int(key) { disagreements.add(1, ordering: .relaxed) }
                    results.add(1, ordering: .relaxed)
                }
            }
            threads.forEach { $0.join() }
            #expect(results.load(ordering: .relaxed) == 8)
            #expect(disagreements.load(ordering: .relaxed) == 0)
            #expect(storage.creations.load(ordering: .relaxed) == 1)
            if let key = ThreadKey.existing(storage.key) { pthread_key_delete(key) }
        }
    }
}
