// Runs a test body as a task on a fresh URingRuntime, and tears the runtime down after.

import Glibc
import Logging
import Synchronization
import Testing
import URing
import URingExecutor

func withRuntime<Result: Sendable>(
    workers: Int = 2,
    _ configure: (inout URingRuntime.Configuration) -> Void = { _ in },
    _ body: @Sendable (URingRuntime) async throws -> Result
) async throws -> Result {
    var configuration = URingRuntime.Configuration(workers: workers)
    // Stall detection stays on (its code runs under every test), but its warnings are
    // not printed: on a loaded 2-core machine descheduled workers produce thousands.
    configuration.logger.logLevel = .error
    configure(&configuration)
    let runtime = try URingRuntime(configuration)
    let result: Swift.Result<Result, any Error>
    do {
        result = .success(try await withTaskExecutorPreference(runtime.executor) { try await body(runtime) })
    } catch {
        result = .failure(error)
    }
    // The task may still be on a worker thread here: the async shutdown is safe there.
    await runtime.shutdown()
    return try result.get()
}

/// What each open descriptor of this process refers to (the targets of /proc/self/fd's
/// links: a path, "socket:[inode]", "pipe:[inode]", ...).
func openDescriptorTargets() -> [String] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    defer { closedir(directory) }
    var targets: [String] = []
    while let entry = readdir(directory) {
        // Safety: d_name is read in place, up to its NUL; copying `entry.pointee` would read a
        // whole struct dirent, past the end of a short last entry in readdir's buffer.
        let namePointer = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let name = String(cString: namePointer.assumingMemoryBound(to: CChar.self))
        guard let descriptor = Int32(name) else { continue }
        let target = descriptorTarget(descriptor)
        if !target.isEmpty { targets.append(target) }
    }
    return targets
}

/// The /proc/self/fd target of one of our descriptors ("pipe:[123]", a path, ...); empty
/// if it is not open.
func descriptorTarget(_ descriptor: Int32) -> String {
    var target = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/fd/\(descriptor)", &target, target.count - 1)
    guard length > 0 else { return "" }
    return String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Descriptors of this process whose /proc/self/fd target is one of `targets`.
func openDescriptorCount(onAnyOf targets: Set<String>) -> Int {
    openDescriptorTargets().filter { targets.contains($0) }.count
}

/// Descriptors of this process open on `path`. Counting only those keeps the figure
/// exact while other tests open and close files in parallel.
func openDescriptorCount(on path: FilePath) -> Int {
    openDescriptorCount(onAnyOf: [path.string])
}

/// A pipe whose ends close when the value is released.
final class Pipe: Sendable {
    let readEnd: FileDescriptor
    let writeEnd: FileDescriptor

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Errno(rawValue: errno) }
        readEnd = FileDescriptor(rawValue: fds[0])
        writeEnd = FileDescriptor(rawValue: fds[1])
    }

    deinit {
        try? readEnd.close()
        try? writeEnd.close()
    }
}

/// A raw buffer a test hands to a task; the test owns it and outlives the task.
struct TestBuffer: @unchecked Sendable {
    // @unchecked: the test frees it only after every task using it has finished.
    let bytes: UnsafeMutableRawBufferPointer
}

/// A lock-protected value that escaping test closures can share.
final class Shared<Value: Sendable>: Sendable {
    // A pthread lock (ThreadLock), not Mutex: ThreadSanitizer sees only the former.
    private let storage: ThreadLock<Value>

    init(_ value: Value) { storage = ThreadLock(value) }

    func update<Result>(_ body: (inout Value) -> Result) -> Result { storage.withLock(body) }
    var value: Value { storage.withLock { $0 } }
}
