// Engines that run as child processes (fio, raw-uring, swift-uring variants): run one,
// pass its stderr through, and return its stdout once it exited 0.

import Foundation

enum ChildProcess {
    /// The standard output of `executable` run with `arguments` (and `environment`, or
    /// this process's).
    /// - Throws: `EngineFailure` naming `name` when it exits with a non-zero status.
    static func output(
        of executable: String, _ arguments: [String], name: String, environment: [String: String]? = nil
    ) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EngineFailure(description: "\(name) exited with status \(process.terminationStatus)")
        }
        return data
    }
}
