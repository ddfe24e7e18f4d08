// A listener whose process runs out of descriptors keeps listening: the accept that
// fails with EMFILE is retried after a backoff (no spinning), the failure is logged
// once, counted in `statistics()`, and the waiting connection is served as soon as
// descriptors free up. Each case runs in a child process (an exit test) with a lowered
// RLIMIT_NOFILE, on io_uring and on the fallback backend, through `connections` (the
// multishot accept) and through `accept()`.

import Dispatch
import Glibc
import Logging
import Synchronization
import Testing
import URing

/// Ends the child with `message` on stderr, which fails the test in the parent. The status
/// is 0 on purpose: `#expect(processExitsWith:)` returns nil when the status does not
/// match, and the parent would never see the message (in CI one child failed so, with
/// nothing to say why).
private func exhaustionChildFails(_ message: String) -> Never {
    writeAll("descriptor exhaustion child: \(message)\n", to: STDERR_FILENO)
    exit(0)
}

/// The text of the warning logged once per episode.
private let episodeWarning = "the listener keeps listening"

/// What the child tells the parent about the episodes it counted.
private let episodesLine = "descriptor exhaustion episodes: "

private func reportEpisodes(_ count: Int) {
    writeAll("\(episodesLine)\(count)\n", to: STDERR_FILENO)
}

/// The child: serve, exhaust the descriptor table with a connection waiting, hold, free
/// the table, and check that the waiting connection is served.
private func checkListenerSurvivesExhaustion(backend: URingRuntime.Backend, multishot: Bool) async {
    var limit = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = 256
    if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 { exhaustionChildFails("setrlimit: errno \(errno)") }

    var configuration = URingRuntime.Configuration(workers: 2, backend: backend)
    configuration.logger = Logger(label: "exhaustion-test") { StreamLogHandler.standardError(label: $0) }
    configuration.logger.logLevel = .warning
    configuration.stallThreshold = nil
    do {
        let runtime = try URingRuntime(configuration)
        try await withTaskExecutorPreference(runtime.executor) {
            let listener = try TCPListener(binding: .ipv4Loopback())
            let server = Task(executorPreference: runtime.executor) {
                var served: [TCPStream] = []
                do {
                    if multishot {
                        for try await connection in listener.connections {
                            try await connection.send([7])
                            served.append(connection)
                        }
                    } else {
                        while true {
                            let connection = try await listener.accept()
                            try await connection.send([7])
                            served.append(connection)
                        }
                    }
                } catch URingError.closed {
                    // accept() on a closed listener.
                }
                for connection in served { try? await connection.close() }
                return served.count
            }
            func servedByte(_ client: TCPStream) async throws -> [UInt8] {
                try await URingRuntime.withTimeout(.seconds(15)) { try await client.receive(maxCount: 1) }
            }

            let first = try await TCPStream.connect(to: listener.localAddress, timeout: .seconds(10))
            if try await servedByte(first) != [7] { exhaustionChildFails("the first connection was not served") }

            // libdispatch creates its event descriptors (epoll, eventfd, a timerfd per
            // clock) on first use and traps (SIGILL) when it cannot: twice, under load,
            // this child died so while the table was full. Make it create them now.
            let dispatchReady = DispatchSemaphore(value: 0)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) { dispatchReady.signal() }
            dispatchReady.wait()

            // Fill the descriptor table, then trade one filler for a connection that
            // waits in the backlog: the server's accept now fails with EMFILE.
            var fillers: [Int32] = []
            while true {
                let filler = dup(2)
                if filler < 0 { break }
                fillers.append(filler)
            }
            if errno != EMFILE { exhaustionChildFails("filling the table ended with errno \(errno)") }
            close(fillers.removeLast())
            let waiting = try await TCPStream.connect(to: listener.localAddress, timeout: .seconds(10))

            // Wait for the server's first failed accept (on 2 busy cores, with the suite
            // running beside this child, it can take a while), then hold the table full.
            // Backoff (10 ms doubling to 1 s) retries about 8 times in 1.5 s and once a
            // second after that; an accept loop without one retries thousands of times.
            let waitStart = ContinuousClock.now
            while listener.statistics().acceptErrors == 0 {
                if ContinuousClock.now - waitStart > .seconds(30) {
                    exhaustionChildFails("no accept error within 30 s while the table was full: \(listener.statistics())")
                }
                try await URingRuntime.sleep(for: .milliseconds(10))
            }
            // Code outside this test can let go of a descriptor while the table is held
            // full (CI once saw a second episode: an accept succeeded in between, and the
            // next failed again, since the kernel takes a descriptor before it looks at
            // the backlog). Every 5 ms the hold takes back any slot that came free, and
            // counts it: only then may there be more than one episode.
            let firstError = ContinuousClock.now
            var foreignReleases = 0
            while ContinuousClock.now - firstError < .milliseconds(1_500) {
                try await URingRuntime.sleep(for: .milliseconds(5))
                while true {
                    let filler = dup(2)
                    if filler < 0 { break }
                    fillers.append(filler)
                    foreignReleases += 1
                }
            }
            let held = listener.statistics()
            let heldSeconds = (ContinuousClock.now - firstError).components.seconds
            if held.acceptErrors > 40 + Int(heldSeconds) {
                exhaustionChildFails("the accept loop spins: \(held.acceptErrors) errors in \(heldSeconds) s")
            }
            let episodesExplained = foreignReleases == 0 ? held.acceptErrorEpisodes == 1 : held.acceptErrorEpisodes >= 1
            if !episodesExplained || held.lastAcceptError != .tooManyOpenFiles
                || (foreignReleases == 0 && !held.isBackingOff)
            {
                exhaustionChildFails("statistics while the table was full: \(held); descriptors freed by others during the hold: \(foreignReleases)")
            }

            for filler in fillers { close(filler) }
            if try await servedByte(waiting) != [7] {
                exhaustionChildFails("the connection that waited was not served")
            }
            let fresh = try await TCPStream.connect(to: listener.localAddress, timeout: .seconds(10))
            if try await servedByte(fresh) != [7] { exhaustionChildFails("a fresh connection was not served") }
            let after = listener.statistics()
            if after.isBackingOff || after.acceptErrorEpisodes != held.acceptErrorEpisodes {
                exhaustionChildFails("statistics after the table freed up: \(after), while held: \(held)")
            }
            // The parent checks that each episode was logged once.
            reportEpisodes(after.acceptErrorEpisodes)

            try await listener.close()
            let served = try await server.value
            if served != 3 { exhaustionChildFails("served \(served) connections, expected 3") }
            for client in [first, waiting, fresh] { try await client.close() }
        }
        await runtime.shutdown()
    } catch {
        exhaustionChildFails("\(error)")
    }
}

@Suite("A listener keeps serving through descriptor exhaustion, backing off without spinning")
struct ListenerKeepsServingThroughDescriptorExhaustion {
    /// `result` is nil when the child crashed or its status was not 0 (already an issue).
    private func check(_ result: ExitTest.Result?) {
        guard let result else { return }
        let errors = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(!errors.contains("descriptor exhaustion child:"), Comment(rawValue: errors))
        // One warning per episode: one, unless others freed descriptors during the hold.
        let reported = errors.split(separator: "\n").last { $0.hasPrefix(episodesLine) }.flatMap { Int($0.dropFirst(episodesLine.count)) }
        #expect(reported != nil, Comment(rawValue: errors))
        #expect(errors.components(separatedBy: episodeWarning).count - 1 == reported, Comment(rawValue: errors))
    }

    @Test("io_uring, connections: the waiting connection is served once descriptors free up; logged once", .requiresIOURingBackend)
    func ioURingMultishot() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            await checkListenerSurvivesExhaustion(backend: .ioURing, multishot: true)
        })
    }

    @Test("io_uring, accept(): the waiting connection is served once descriptors free up; logged once", .requiresIOURingBackend)
    func ioURingSingle() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            await checkListenerSurvivesExhaustion(backend: .ioURing, multishot: false)
        })
    }

    @Test("fallback, connections: the waiting connection is served once descriptors free up; logged once")
    func fallbackMultishot() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            await checkListenerSurvivesExhaustion(backend: .fallback, multishot: true)
        })
    }

    @Test("fallback, accept(): the waiting connection is served once descriptors free up; logged once")
    func fallbackSingle() async {
        check(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            await checkListenerSurvivesExhaustion(backend: .fallback, multishot: false)
        })
    }
}
