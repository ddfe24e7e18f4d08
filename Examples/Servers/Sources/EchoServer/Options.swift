// Command-line options of the echo server: `[--port N] [--host ADDRESS]`, parsed by hand
// (the example takes no argument-parser dependency).

import ExampleSupport
import Glibc

struct Options {
    var host = "127.0.0.1"
    var port = 7007

    static let usage = "usage: EchoServer [--port N] [--host 127.0.0.1]"

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
            case "-h", "--help":
                say(usage)
                exit(0)
            default:
                fail("unknown argument \(flag)")
            }
        }
        return options
    }

    private static func fail(_ message: String) -> Never {
        complain("EchoServer: \(message)\n\(usage)")
        exit(2)
    }
}
