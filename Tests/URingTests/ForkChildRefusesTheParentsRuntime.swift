import Glibc
import SystemPackage
import Testing
import URing
import URingExecutor

@Suite("Fork: a child cannot use the parent's runtime", .requiresIOURing,
    .disabled(if: runningUnderThreadSanitizer, forkUnderThreadSanitizerReason))
struct ForkChildRefusesTheParentsRuntime {
    @Test("in a child forked from a worker, I/O and run on the parent's runtime fail with a clear typed error")
    func childGetsTypedErrors() async throws {
        let scratch = try TemporaryFile(contents: Array("fork".utf8))
        try await withRuntime { runtime in
            let file = try await File.open(scratch.path, .readOnly)
            #expect(try await file.read(count: 4, at: 0) == Array("fork".utf8))

            // The child describes both errors: describe them here first, so the Swift
            // runtime's caches already hold what the child looks up (a cache miss in the
            // child takes a lock some other thread may have held at the fork).
            _ = "\(URingError.forkedChild) \(URingExecutorError.forkedChild)"
            let child = try await runInForkedChild { output in
                // In the child: never suspend (see ForkSupport.swift); report, then _exit.
                var report = ""
                do {
                    _ = try await file.read(count: 4, at: 0)
                    report += "read: succeeded\n"
                } catch let error as URingError where error == .forkedChild {
                    report += "read: forkedChild: \(error)\n"
                } catch {
                    report += "read: other error \(error)\n"
                }
                do {
                    try runtime.run { () async throws -> Void in }
                    report += "run: succeeded\n"
                } catch let error as URingExecutorError where error == .forkedChild {
                    report += "run: forkedChild: \(error)\n"
                } catch {
                    report += "run: other error \(error)\n"
                }
                writeAll(report, to: output)
                _exit(0)
            }
            #expect(child.status == .exited(0), "child output: \(child.output)")
            let lines = child.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(child.output)")
            #expect(lines.first?.hasPrefix("read: forkedChild: ") == true, "\(child.output)")
            #expect(lines.last?.hasPrefix("run: forkedChild: ") == true, "\(child.output)")
            // The message says what to do instead.
            #expect(lines.allSatisfy { $0.contains("fork()") && $0.contains("exec") })

            // The parent is unaffected.
            #expect(try await file.read(count: 4, at: 0) == Array("fork".utf8))
            try await file.close()
        }
    }
}
