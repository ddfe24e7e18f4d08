// Command-line options of the HTTP server: `--root DIR [--port N] [--host ADDRESS]`, parsed by hand
// (the root package takes no argument-parser dependency).

import ExampleSupport
import Glibc

struct Options {
    var host = "127.0.0.1"
    var port = 8080
    var root = ""
    var selfTest = false

    static let usage = "usage: HTTPServer --root DIR [--port N] [--host 127.0.0.1] | HTTPServer --self-test"

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

    private static func fail(_ message: String) -> Never {
        complain("HTTPServer: \(message)\n\(usage)")
        exit(2)
    }
}
