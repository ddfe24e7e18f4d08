// executor-bench's engine process with a URingRuntime as the process default executor
// (URingRuntimeFactory; SWIFT_URING_WORKERS sets its workers, executor-bench passes 2).
//   uring       plain Task {}: what a program that installs the runtime gets
//   uring-pref  the same tasks with a task-executor preference for that same runtime:
//               the difference to `uring` is what the Swift runtime's preference costs

@_spi(ExperimentalCustomExecutors) import URing
import ExecutorWorkloads

typealias DefaultExecutorFactory = URingRuntimeFactory

@main
struct EngineProcess {
    // async: a custom default executor needs an async main.
    static func main() async {
        runEngineProcess([
            "uring": { .plain("uring") },
            "uring-pref": { .preferring("uring-pref", URingRuntimeFactory.shared.executor) },
        ])
    }
}
