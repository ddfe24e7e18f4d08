// Runs blocking work on a new thread and awaits it: the engines block the thread that
// calls them (`URingRuntime.run`, blocking reads, waiting for fio), which must be neither
// a worker of the default runtime nor the thread that runs async main.

import Foundation

enum PlainThread {
    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Swift.Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
