// executor-bench's engine process on Swift's default executor (Dispatch's global
// concurrent queue, as wide as the machine has CPUs).
//   swift       plain Task {} on Swift's default executor
//   executor    a standalone URingExecutor(workers: 2), no io_uring, tasks carrying a
//               task-executor preference for it (executor-bench's original engine)

import ExecutorWorkloads
import URingExecutor

@main
struct EngineProcess {
    static func main() {
        runEngineProcess([
            "swift": { .plain("swift") },
            "executor": {
                do {
                    return .preferring("executor", try URingExecutor(workers: 2))
                } catch {
                    fatalError("URingExecutor(workers: 2): \(error)")
                }
            },
        ])
    }
}
