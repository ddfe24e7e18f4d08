// TCPListenerService (trait ServiceLifecycle): an accept loop as a swift-service-lifecycle
// `Service`, one child task per connection, with graceful shutdown.
//
// `run()`, in order:
//   1. accepts from the listener's multishot accept (`connections`) and runs the handler
//      for each connection in a child task (so handlers inherit the graceful-shutdown
//      state: `Task.isShuttingDownGracefully`, `withGracefulShutdownHandler`); the
//      service closes each connection when its handler returns;
//   2. on graceful shutdown, a child task closes the listener: no connection is
//      accepted from then on (the kernel refuses new ones), and the loop ends;
//   3. draining: with `.shutDownReads` (the default) each open connection's receiving
//      side is shut down, so a handler waiting for input sees its end (receive returns
//      0) and can finish what it was doing; connections accepted later are shut down
//      the same way as they register;
//   4. it waits up to `gracePeriod` for the handlers, then cancels those still running
//      (their pending receive or send is cancelled through the ring) and waits for them;
//   5. it closes the listener (if the loop ended some other way) and returns, throwing
//      only an accept error that ended the loop.
// Cancelling the task running `run()` skips the grace period: connections are
// cancelled at once. Open connections live in `OpenConnections` (one lock, taken per
// connection start and end, never per I/O call).

#if ServiceLifecycle
import Logging
import ServiceLifecycle
import URingExecutor

/// Serves a `TCPListener`'s connections as a swift-service-lifecycle `Service`: stops
/// accepting at once on graceful shutdown, lets open connections finish within a grace
/// period, then cancels them.
///
/// ```swift
/// let listener = try TCPListener(binding: try SocketAddress(ipAddress: "0.0.0.0", port: 8080))
/// let server = TCPListenerService(listener: listener, logger: logger) { stream in
///     // serve `stream`; the service closes it when this returns
/// }
/// let group = ServiceGroup(configuration: .init(
///     services: [.init(service: runtime), .init(service: server)],
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
public struct TCPListenerService: Service {
    /// What happens to open connections when graceful shutdown begins.
    public enum Drain: Sendable, Equatable {
        /// Shut each connection's receiving side down (shutdown(2), SHUT_RD): a handler
        /// waiting for input sees its end (`receive` returns 0); one that is answering a
        /// request finishes the answer. Suits request/response protocols.
        case shutDownReads
        /// Leave connections alone: handlers learn of the shutdown from swift-service-
        /// lifecycle (`Task.isShuttingDownGracefully`, `withGracefulShutdownHandler`).
        case notifyHandlers
    }

    /// The listener whose connections are served; the service closes it when `run()` ends.
    public let listener: TCPListener
    /// How long open connections may take to finish after accepting stopped.
    public let gracePeriod: Duration
    /// How open connections learn that the service is shutting down.
    public let drain: Drain
    /// Connections accepted while this many are open are closed at once (nil: no limit).
    public let maximumConnections: Int?
    /// Where the service reports stopping, draining, cancelling and handler errors.
    public let logger: Logger
    /// The runtime whose workers run the accept loop and the handlers (nil: wherever
    /// `run()` runs, the default executor's threads, which is the runtime's workers when
    /// it is the process default).
    public let runtime: URingRuntime?
    private let handler: @Sendable (TCPStream) async throws -> Void

    /// A service for `listener`.
    ///
    /// - Parameters:
    ///   - listener: the listener to accept from; the service owns it from now on.
    ///   - gracePeriod: how long connections may take to finish once accepting stopped
    ///     (default 10 s); then their handlers are cancelled.
    ///   - drain: how open connections learn of the shutdown (default `.shutDownReads`).
    ///   - maximumConnections: close connections accepted while this many are open.
    ///   - runtime: run the accept loop and handlers with this runtime's workers as their
    ///     executor preference (nil: no preference).
    ///   - logger: where the service's reports go.
    ///   - handler: serves one connection; the service closes it after `handler` returns
    ///     or throws (a thrown error other than cancellation is logged at debug level).
    public init(
        listener: TCPListener,
        gracePeriod: Duration = .seconds(10),
        drain: Drain = .shutDownReads,
        maximumConnections: Int? = nil,
        runtime: URingRuntime? = nil,
        logger: Logger,
        handler: @escaping @Sendable (TCPStream) async throws -> Void
    ) {
        self.listener = listener
        self.gracePeriod = gracePeriod
        self.drain = drain
        self.maximumConnections = maximumConnections
        self.runtime = runtime
        self.logger = logger
        self.handler = handler
    }

    /// Accepts and serves connections until graceful shutdown (then drains as described on
    /// the type) or cancellation (then cancels every connection at once).
    ///
    /// - Throws: the accept error that ended the loop, if one did (not a closed
    ///   listener, cancellation or shutdown).
    public func run() async throws {
        try await withTaskExecutorPreference(runtime?.executor) { try await serve() }
    }

    private func serve() async throws {
        let open = OpenConnections()
        let listener = self.listener
        let logger = self.logger
        var failure: (any Error)?
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Returns on graceful shutdown; throws when the group is cancelled below.
                guard (try? await gracefulShutdown()) != nil else { return }
                logger.info("graceful shutdown: no longer accepting", metadata: ["address": "\(listener.localAddress)"])
                try? await listener.close()
            }
            failure = await acceptUntilClosed(open: open, group: &group)
            await drainAndWait(open)
            group.cancelAll()
        }
        try? await listener.close()
        if let failure { throw failure }
    }

    /// Runs the accept loop; returns the error that ended it, if it was not a normal end.
    private func acceptUntilClosed(open: OpenConnections, group: inout DiscardingTaskGroup) async -> (any Error)? {
        do {
            for try await stream in listener.connections {
                guard let id = open.add(stream, limit: maximumConnections) else {
                    try? await stream.close()
                    continue
                }
                let handler = self.handler
                let logger = self.logger
                let drain = self.drain
                group.addTask {
                    if id.draining && drain == .shutDownReads { try? await stream.shutdown(.read) }
                    do {
                        try await handler(stream)
                    } catch is CancellationError {
                    } catch {
                        logger.debug("connection handler failed: \(error)")
                    }
                    open.remove(id.value)
                    try? await stream.close()
                }
            }
            return nil
        } catch is CancellationError {
            return nil
        } catch URingError.closed, URingError.shutdown {
            return nil
        } catch {
            logger.error("accept failed; no longer accepting: \(error)", metadata: ["address": "\(listener.localAddress)"])
            return error
        }
    }

    /// Steps 3 and 4 of the top of the file.
    private func drainAndWait(_ open: OpenConnections) async {
        let streams = open.startDraining()
        if !streams.isEmpty {
            logger.info("draining \(streams.count) open connection(s), grace period \(gracePeriod)")
        }
        if drain == .shutDownReads {
            for stream in streams { try? await stream.shutdown(.read) }
        }
        let gracePeriod = self.gracePeriod
        let finished = await withTaskGroup(of: Bool.self) { race in
            race.addTask {
                await open.waitUntilEmpty()
                return true
            }
            race.addTask {
                try? await Task.sleep(for: gracePeriod)
                return false
            }
            let first = await race.next() ?? false
            race.cancelAll()
            return first || open.count == 0
        }
        if !finished {
            logger.notice("cancelling \(open.count) connection(s) still open after the grace period of \(gracePeriod)")
        }
    }
}

/// The connections a `TCPListenerService` has open, so that draining can reach them and
/// `run()` can wait for them. A connection leaves before it is closed, so every stream
/// handed out by `startDraining()` is still open or fails its calls with
/// `URingError.closed`, never acting on a reused descriptor.
final class OpenConnections: Sendable {
    /// A registered connection's key, and whether draining had begun when it registered.
    struct Registration: Sendable {
        let value: Int
        let draining: Bool
    }

    private struct State {
        var streams: [Int: TCPStream] = [:]
        var nextID = 0
        var draining = false
        var emptyWaiter: CheckedContinuation<Void, Never>?
        var waiterCancelled = false
    }

    private let state = ThreadLock(State())

    /// Registers `stream`; nil (not registered) when `limit` connections are open.
    func add(_ stream: TCPStream, limit: Int?) -> Registration? {
        state.withLock { state in
            if let limit, state.streams.count >= limit { return nil }
            state.nextID += 1
            state.streams[state.nextID] = stream
            return Registration(value: state.nextID, draining: state.draining)
        }
    }

    /// Removes a connection (before it is closed); wakes `waitUntilEmpty` at the last one.
    func remove(_ id: Int) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.streams.removeValue(forKey: id)
            guard state.streams.isEmpty else { return nil }
            defer { state.emptyWaiter = nil }
            return state.emptyWaiter
        }
        waiter?.resume()
    }

    /// Marks later registrations as draining; returns the connections open now.
    func startDraining() -> [TCPStream] {
        state.withLock { state in
            state.draining = true
            return Array(state.streams.values)
        }
    }

    /// Connections open now.
    var count: Int { state.withLock { $0.streams.count } }

    /// Returns once no connection is open, or when the calling task is cancelled. One
    /// waiter at a time (the service's drain).
    func waitUntilEmpty() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.streams.isEmpty || state.waiterCancelled { return true }
                    state.emptyWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                state.waiterCancelled = true
                defer { state.emptyWaiter = nil }
                return state.emptyWaiter
            }
            waiter?.resume()
        }
    }
}
#endif
