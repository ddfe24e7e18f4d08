// Reproducer found by the close-while-in-flight stress test: receives on one TCPStream
// waiting for data when the peer sends it must all get data (or the ones left over must
// still end when the stream's data suffices). Each case runs under a watchdog, so a
// lost wake-up is a failure, not a stuck test run.

import Glibc
import Testing
import URing

@Suite("Hardening: receives waiting on one stream all wake when data arrives", .requiresIOURing)
struct HardeningReceivesWaitingOnOneStreamAllWake {
    @Test("n receives waiting on a Unix stream, then the peer sends 4 KiB: every receive returns", arguments: [1, 2, 3])
    func waitingReceivesWake(receivers: Int) async throws {
        try await withRuntime(workers: 2) { runtime in
            let (local, peer) = try makeSocketPair()
            defer { Glibc.close(peer) }
            let stream = TCPStream(taking: FileDescriptor(rawValue: local))
            let readers = (0..<receivers).map { _ in
                Task(executorPreference: runtime.executor) { try await stream.receive(maxCount: 64) }
            }
            try await Task.sleep(for: .milliseconds(20))
            let sent = [UInt8](repeating: 0x41, count: 4096).withUnsafeBytes { Glibc.send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #expect(sent == 4096)
            let all = readers
            let counts = try await withWatchdog(.seconds(5), "\(receivers) receives after the peer sent 4 KiB", executor: runtime.executor) {
                var counts: [Int] = []
                for reader in all { counts.append(try await reader.value.count) }
                return counts
            }
            if let counts { #expect(counts.allSatisfy { $0 > 0 }) }
            // Unblock anything left so the stream can close.
            for reader in readers { reader.cancel() }
            _ = try? await withWatchdog(.seconds(5), "close after the receives", executor: runtime.executor) { try await stream.close() }
        }
    }

    @Test("a stream that received and closed, then a new stream on the same worker: its waiting receive gets the data")
    func receiveAfterAnotherStreamClosed() async throws {
        try await withRuntime(workers: 1) { runtime in
            // First stream: receive everything the peer sent, then close.
            let (first, firstPeer) = try makeSocketPair()
            let stream = TCPStream(taking: FileDescriptor(rawValue: first))
            _ = [UInt8](repeating: 0x41, count: 256).withUnsafeBytes { Glibc.send(firstPeer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var received = 0
            while received < 256 { received += try await stream.receive(maxCount: 256 - received).count }
            try await stream.close()
            Glibc.close(firstPeer)

            // Second stream: a receive waits, then the peer sends.
            let (second, secondPeer) = try makeSocketPair()
            defer { Glibc.close(secondPeer) }
            let next = TCPStream(taking: FileDescriptor(rawValue: second))
            let reader = Task(executorPreference: runtime.executor) { try await next.receive(maxCount: 64) }
            try await Task.sleep(for: .milliseconds(20))
            _ = [UInt8](repeating: 0x42, count: 4096).withUnsafeBytes { Glibc.send(secondPeer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let bytes = try await withWatchdog(.seconds(5), "a receive on the second stream", executor: runtime.executor) {
                try await reader.value
            }
            if let bytes { #expect(!bytes.isEmpty && bytes.allSatisfy { $0 == 0x42 }) }
            reader.cancel()
            _ = try? await withWatchdog(.seconds(5), "closing the second stream", executor: runtime.executor) { try await next.close() }
        }
    }

    @Test("close() while a receive waits with data already sent to the stream returns")
    func closeAfterDataArrived() async throws {
        try await withRuntime(workers: 2) { runtime in
            let (local, peer) = try makeSocketPair()
            defer { Glibc.close(peer) }
            let stream = TCPStream(taking: FileDescriptor(rawValue: local))
            let readers = (0..<3).map { _ in
                Task(executorPreference: runtime.executor) { () -> Int in
                    var total = 0
                    for _ in 0..<5 {
                        do { total += try await stream.receive(maxCount: 64).count } catch { break }
                    }
                    return total
                }
            }
            await Task.yield()
            _ = [UInt8](repeating: 0x41, count: 4096).withUnsafeBytes { Glibc.send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let closed: Bool? = try await withWatchdog(.seconds(5), "close() with 4 KiB sent and 3 readers", executor: runtime.executor) {
                try await stream.close()
                return true
            }
            #expect(closed == true)
            for reader in readers { reader.cancel() }
        }
    }
}
