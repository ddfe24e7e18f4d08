import Glibc
import Synchronization
import Testing
@testable import URing

@Suite("Shutdown releases the runtime's descriptors", .requiresIOURing)
struct ShutdownReleasesTheRuntimesDescriptors {
    @Test("shutdown closes every ring and wake eventfd while a task still holds the executor; later wake-ups are harmless")
    func descriptorsClosedWhileReferenced() async throws {
        let pipe = try Pipe()
        let runtime = try URingRuntime(.init(workers: 2))
        let drivers = runtime.drivers
        let gate = Atomic<Bool>(false)
        let readResult = Shared<String>("")
        // Outlives the shutdown: its task keeps the executor (its preference) and so every
        // driver alive, which used to keep the rings open until it was freed.
        let holder = Task(executorPreference: runtime.executor) {
            let file = File(taking: FileDescriptor(rawValue: dup(pipe.readEnd.rawValue)))
            do {
                _ = try await file.read(count: 8, at: 0)
                readResult.update { $0 = "returned" }
            } catch {
                readResult.update { $0 = "\(error)" }
            }
            // Keep the task (and with it the executor) alive past the shutdown.
            while !gate.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) }
            try? await file.close()
        }
        // The pipe read (and the eventfd reads) in the kernel.
        while await runtime.statistics().reduce(0, { $0 + $1.operationsInFlight }) < 1 {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(drivers.allSatisfy { !$0.descriptorsClosed })

        await runtime.shutdown()
        #expect(drivers.count == 2)
        #expect(drivers.allSatisfy { $0.descriptorsClosed }, "a ring or eventfd is still open after shutdown returned")
        // Wake-ups from a late thread find the eventfd closed and do nothing.
        for driver in drivers { driver.unpark() }
        #expect(readResult.value == URingError.shutdown.description)

        gate.store(true, ordering: .releasing)
        await holder.value
        // A second shutdown is a no-op.
        await runtime.shutdown()
    }
}
