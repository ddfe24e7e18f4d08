import Glibc
import Testing
import URing
import URingExecutor

@Suite(
    "Fork: fork+exec from a runtime worker", .requiresIOURing,
    .disabled(if: runningUnderThreadSanitizer, forkExecUnderThreadSanitizerReason))
struct ForkExecFromWorker {
    @Test("fork+exec of /bin/true from a task on a worker: the child exits 0 and the runtime goes on working")
    func forkExec() async throws {
        try await withRuntime { runtime in
            #expect(URingExecutor.currentWorkerIndex != nil, "the fork must happen on a worker thread")
            // argv is built before the fork: between fork and exec the child only calls execv.
            let path = try #require(strdup("/bin/true"))
            defer { free(path) }
            let child = try await runInForkedChild { _ in
                var argv: [UnsafeMutablePointer<CChar>?] = [path, nil]
                execv(path, &argv)
                _exit(127)
            }
            #expect(child.status == .exited(0))

            // The parent's rings and workers are untouched: I/O still completes.
            let bytes = try await FileSystem.readAll("/proc/self/stat")
            #expect(!bytes.isEmpty)
            try await URingRuntime.sleep(for: .milliseconds(1))
        }
    }
}
