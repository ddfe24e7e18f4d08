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
        let arrived = Atomic<Int>(0)
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
            let results = Atomic<Int>(0)
            let firstKey = Atomic<Int>(-1)
            let disagreements = Atomic<Int>(0)
            let threads = try (0..<8).map { _ in
                try JoinableThread {
                    // Start together: each waits until all 8 have arrived.
                    storage.arrived.add(1, ordering: .acquiringAndReleasing)
                    while storage.arrived.load(ordering: .acquiring) < 8 { sched_yield() }
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
