// ShutdownSignal: turns SIGINT/SIGTERM into an awaitable event (the self-pipe trick), so
// a server can stop cleanly on Ctrl-C.
//
// `install()` runs once, before any signal can matter: it creates a pipe and sets a
// sigaction handler for SIGINT and SIGTERM. The handler only does write(2) of one byte
// (async-signal-safe) and works whichever thread the kernel picks, so no thread needs a
// signal mask. `wait()` reads the pipe through the ring and returns on the first signal.
// A second signal while shutting down exits at once with status 130.

import Glibc
import Synchronization
import URing

public enum ShutdownSignal {
    /// The pipe's ends; set once by `install()` before the handler exists, then only read.
    nonisolated(unsafe) private static var pipeEnds: (read: Int32, write: Int32) = (-1, -1)
    /// Signals received so far (read by the handler: a lock-free atomic is signal-safe).
    private static let received = Atomic<Int>(0)

    /// Creates the pipe and installs the handler for SIGINT and SIGTERM.
    public static func install() throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw Errno(rawValue: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        pipeEnds = (ends[0], ends[1])
        // Initialise the lazy static here: the handler must not run its one-time setup.
        _ = received.load(ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            if ShutdownSignal.received.add(1, ordering: .relaxed).newValue > 1 { _exit(130) }
            var byte: UInt8 = 1
            _ = write(ShutdownSignal.pipeEnds.write, &byte, 1)
        }
        action.sa_flags = Int32(SA_RESTART)
        sigemptyset(&action.sa_mask)
        for signal in [SIGINT, SIGTERM] {
            guard sigaction(signal, &action, nil) == 0 else { throw Errno(rawValue: errno) }
        }
    }

    /// Returns once SIGINT or SIGTERM has arrived (a read on the pipe, through the ring).
    /// The pipe stays open: a later signal's handler exits before writing, but the write
    /// end must never name a reused descriptor.
    public static func wait() async throws {
        let readEnd = File(taking: FileDescriptor(rawValue: pipeEnds.read))
        _ = try await readEnd.read(count: 1, at: 0)
        try await readEnd.close()
    }
}
