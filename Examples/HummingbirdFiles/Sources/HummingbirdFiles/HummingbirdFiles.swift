// hummingbird-files: serves a directory with Hummingbird's FileMiddleware, its file I/O
// through swift-uring (`--provider uring`, the default) or through Hummingbird's own
// LocalFileSystem on NIO's thread pool (`--provider hummingbird`), or from memory loaded at
// start-up (`--provider memory`: the ceiling, no file I/O per request). Sockets are SwiftNIO's
// either way. Prints "listening on PORT" once it accepts connections; SIGINT or SIGTERM
// stops it (Hummingbird's graceful shutdown), then the URing runtime shuts down.
//
//   hummingbird-files --root DIR [--port 8080] [--provider uring|hummingbird|memory]
//                     [--uring-workers N] [--placement worker|caller]

import Glibc
import Hummingbird
import Logging
import URing
import URingFileProvider

@main
struct HummingbirdFiles {
    enum Provider: String { case uring, hummingbird, memory }

    struct Options {
        var root = "public"
        var port = 8080
        var provider = Provider.uring
        var uringWorkers = 1
        var placement = URingFileProvider.Placement.runtimeWorker
    }

    static func main() async throws {
        let options: Options
        do {
            options = try parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            print("hummingbird-files: \(error)")
            print("usage: hummingbird-files --root DIR [--port N] [--provider uring|hummingbird|memory] [--uring-workers N] [--placement worker|caller]")
            exit(2)
        }
        var logger = Logger(label: "hummingbird-files")
        logger.logLevel = .warning

        let router = Router()
        let runtime: URingRuntime?
        switch options.provider {
        case .uring:
            var configuration = URingRuntime.Configuration(workers: options.uringWorkers)
            configuration.logger.logLevel = .error
            let started = try URingRuntime(configuration)
            runtime = started
            router.middlewares.add(FileMiddleware(fileProvider: URingFileProvider(
                rootFolder: options.root, runtime: started, placement: options.placement)))
        case .hummingbird:
            runtime = nil
            router.middlewares.add(FileMiddleware(options.root, logger: logger))
        case .memory:
            let loader = try URingRuntime()
            let provider = try await withTaskExecutorPreference(loader.executor) {
                try await MemoryFileProvider.load(root: options.root)
            }
            await loader.shutdown()
            runtime = nil
            router.middlewares.add(FileMiddleware(fileProvider: provider))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: options.port)),
            onServerRunning: { channel in
                print("listening on \(channel.localAddress?.port ?? -1)")
                fflush(nil)  // stdout is a pipe under the benchmark script: flush the line now
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            await runtime?.shutdown()
            throw error
        }
        await runtime?.shutdown()
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            switch flag {
            case "--root": options.root = value
            case "--port":
                guard let port = Int(value), (0...65535).contains(port) else {
                    throw UsageError(description: "--port must be 0...65535, got \(value)")
                }
                options.port = port
            case "--provider":
                guard let provider = Provider(rawValue: value) else {
                    throw UsageError(description: "--provider must be uring, hummingbird or memory, got \(value)")
                }
                options.provider = provider
            case "--uring-workers":
                guard let workers = Int(value), workers > 0 else {
                    throw UsageError(description: "--uring-workers must be a positive number, got \(value)")
                }
                options.uringWorkers = workers
            case "--placement":
                guard let placement = URingFileProvider.Placement(rawValue: value) else {
                    throw UsageError(description: "--placement must be worker or caller, got \(value)")
                }
                options.placement = placement
            default:
                throw UsageError(description: "unknown option \(flag)")
            }
        }
        return options
    }
}
