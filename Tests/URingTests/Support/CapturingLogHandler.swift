// A LogHandler for tests that keeps every message, with its metadata, in a shared list.

import Logging
import URingExecutor

/// Keeps every message logged through it (and its metadata) in `messages`.
struct CapturingLogHandler: LogHandler {
    let messages: ThreadLock<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.withLock { $0.append("\(event.message) \(event.metadata ?? [:])") }
    }
}
