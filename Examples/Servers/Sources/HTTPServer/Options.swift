// Command-line options of the HTTP server: `--root DIR [--port N] [--host ADDRESS]
// [--header-timeout S] [--idle-timeout S] [--write-timeout S] [--max-connections N]
// [--follow-symlinks]`, parsed by hand
// (the example takes no argument-parser dependency).

import ExampleSupport
import Glibc

struct Options {
    var host = "127.0.0.1"
    var port = 8080
    var root = ""
    var selfTest = false
    var timeouts = HTTPTimeouts()
    var maximumConnections = 10_000
    /// Follow symbolic links that point out of the root (off: they are 403).
    var followSymlinks = false

    static let usage = """
        usage: HTTPServer --root DIR [--port N] [--host 127.0.0.1] [--header-timeout SECONDS (10)] \
        [--idle-timeout SECONDS (60)] [--write-timeout SECONDS (30)] [--max-connections N (10000)] [--follow-symlinks] | HTTPServer --self-test
        """

    /// Parses `arguments` (without the program name); prints usage and exits on a mistake.
    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--port":
                guard let text = rest.popFirst(), let port = Int(text), (0...65_535).contains(port) else {
                    fail("--port needs a number in 0...65535")
                }
                options.port = port
            case "--host":
                guard let host = rest.popFirst() else { fail("--host needs an address") }
                options.host = host
            case "--root":
                guard let root = rest.popFirst(), !root.isEmpty else { fail("--root needs a directory") }
                options.root = root
            case "--header-timeout":
                options.timeouts.header = seconds(rest.popFirst(), flag)
            case "--idle-timeout":
                options.timeouts.idle = seconds(rest.popFirst(), flag)
            case "--write-timeout":
                options.timeouts.write = seconds(rest.popFirst(), flag)
            case "--max-connections":
                guard let text = rest.popFirst(), let count = Int(text), count >= 1 else {
                    fail("--max-connections needs a positive number")
                }
                options.maximumConnections = count
            case "--follow-symlinks":
                options.followSymlinks = true
            case "--self-test":
                options.selfTest = true
            case "-h", "--help":
                say(usage)
                exit(0)
            default:
                fail("unknown argument \(flag)")
            }
        }
        if options.root.isEmpty && !options.selfTest { fail("--root is required") }
        while options.root.count > 1 && options.root.hasSuffix("/") { options.root.removeLast() }
        return options
    }

    /// A positive number of seconds (fractions allowed) as a Duration.
    private static func seconds(_ text: String?, _ flag: String) -> Duration {
        guard let text, let value = Double(text), value > 0, value < 1e6 else { fail("\(flag) needs a positive number of seconds") }
        return .milliseconds(Int64(value * 1000))
    }

    private static func fail(_ message: String) -> Never {
        complain("HTTPServer: \(message)\n\(usage)")
        exit(2)
    }
}
