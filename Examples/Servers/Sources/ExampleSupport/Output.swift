// Unbuffered output for the examples: lines go straight to descriptors 1 and 2, so a
// script reading a pipe sees them at once (stdio's FILE globals are not concurrency-safe).

import URing

/// Writes `line` and a newline to standard output.
public func say(_ line: String) {
    _ = try? FileDescriptor.standardOutput.writeAll((line + "\n").utf8)
}

/// Writes `line` and a newline to standard error.
public func complain(_ line: String) {
    _ = try? FileDescriptor.standardError.writeAll((line + "\n").utf8)
}
