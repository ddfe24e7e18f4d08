import Glibc
import Testing
import URing
import URingExecutor

@Suite("Fork: a child that hands work back to the parent's executor stops with the reason", .requiresIOURing,
    .disabled(if: runningUnderThreadSanitizer, forkUnderThreadSanitizerReason))
struct ForkChildThatResumesTheExecutorStops {
    // Nothing in the child can run a job for an executor created before the fork, and a
    // job that returns to the copied worker loop would reach the parent's ring. Neither
    // can report an error to anyone, so the child stops, naming the reason, instead of
    // hanging or touching unmapped ring memory.

    @Test("a Task.yield in the child stops it with the enqueue message")
    func yieldInChild() async throws {
        let child = try await withRuntime { _ in
            try await runInForkedChild { output in
                dup2(output, STDERR_FILENO)  // the fatal error's message goes to the pipe
                await Task.yield()
                writeAll("yield returned", to: output)
                _exit(0)
            }
        }
        #expect(Self.stopped(child), "\(child.status)")
        #expect(child.output.contains("enqueue in a fork() child"), "\(child.output)")
        #expect(child.output.contains("exec"))
    }

    @Test("a task that suspends in the child, returning its worker to the loop, stops it with the loop message")
    func suspendInChild() async throws {
        let child = try await withRuntime { _ in
            try await runInForkedChild { output in
                dup2(output, STDERR_FILENO)
                // Suspends and never resumes: the job ends and the worker loop gets control.
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
                writeAll("resumed", to: output)
                _exit(0)
            }
        }
        #expect(Self.stopped(child), "\(child.status)")
        #expect(child.output.contains("returned to worker"), "\(child.output)")
        #expect(child.output.contains("exec"))
    }

    /// Ended by the runtime's trap, not by the watchdog's kill nor by a normal exit.
    static func stopped(_ child: ForkedChild) -> Bool {
        if case .killedBySignal(let signal) = child.status { return signal != SIGKILL }
        return false
    }
}
