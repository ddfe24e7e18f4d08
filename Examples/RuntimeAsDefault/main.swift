// Makes a URingRuntime the default executor of this program (URingRuntimeFactory), then
// checks that plain tasks do ring I/O on its workers and that Task.sleep is a ring
// timeout. Exits 1 if any of that does not hold, so CI can run it as a check.
//
// Recipe: import URing through its SPI, name the factory in a top-level
// `typealias DefaultExecutorFactory`, build with -disable-availability-checking.

@_spi(ExperimentalCustomExecutors) import URing
import Glibc
import URingExecutor

typealias DefaultExecutorFactory = URingRuntimeFactory

var failures: [String] = []

func onDefaultWorker() -> Bool {
    URingExecutor.current?.executor === URingRuntimeFactory.shared.executor
}

let (bytes, readOnWorker) = try await Task.detached { () -> ([UInt8], Bool) in
    let file = try await File.open("/proc/self/stat", .readOnly)
    let bytes = try await file.read(count: 64, at: 0)
    try await file.close()
    return (bytes, onDefaultWorker())
}.value
print("Task.detached read \(bytes.count) bytes of /proc/self/stat on a runtime worker: \(readOnWorker)")
if bytes.isEmpty || !readOnWorker { failures.append("detached file read") }

let (slept, sleptOnWorker) = try await Task.detached { () -> (Duration, Bool) in
    let start = ContinuousClock.now
    try await Task.sleep(for: .milliseconds(20))
    return (ContinuousClock.now - start, onDefaultWorker())
}.value
print("Task.sleep(20 ms) took \(slept), resumed on a runtime worker: \(sleptOnWorker)")
if slept < .milliseconds(20) || !sleptOnWorker { failures.append("Task.sleep") }

let total = try await withThrowingTaskGroup(of: Int.self) { group in
    for _ in 0..<100 {
        group.addTask {
            try await URingRuntime.nop()
            return onDefaultWorker() ? 1 : 0
        }
    }
    var sum = 0
    for try await one in group { sum += one }
    return sum
}
print("\(total) of 100 group children ran their ring no-op on a runtime worker")
if total != 100 { failures.append("task group") }

if failures.isEmpty {
    print("RuntimeAsDefault: all checks passed")
} else {
    print("RuntimeAsDefault: FAILED: \(failures.joined(separator: ", "))")
    exit(1)
}
