// The error rule (PathError.swift's header): a call that takes a path throws the kernel's
// errors as a PathError naming the path and the system call, a call that takes a socket
// address as a SocketError naming the address, and a call on something already open as
// the bare Errno. The errno stays matchable through `errno`.

import SystemPackage  // swift-system's `~=`, to show that `catch Errno.x` no longer matches
import Testing
import URing

@Suite("Kernel errors name the path or address they are about", .requiresIOURing)
struct KernelErrorsNameThePathOrAddressTheyAreAbout {
    @Test("opening a missing path throws a PathError with that path, openat and ENOENT")
    func openMissingPath() async throws {
        let scratch = try TemporaryDirectory()
        let missing = scratch.appending("missing")
        let thrown = try await withRuntime { _ in
            await #expect(throws: PathError.self) { try await File.open(missing, .readOnly) }
        }
        let error = try #require(thrown)
        #expect(error == PathError(path: missing, systemCall: "openat", errno: .noSuchFileOrDirectory))
        #expect(error.path == missing)
        #expect(error.otherPath == nil)
        #expect(error.systemCall == "openat")
        #expect(error.errno == .noSuchFileOrDirectory)
        #expect(error.description == "openat \(missing): No such file or directory (ENOENT)")
        // Matching by errno goes through the PathError; swift-system's pattern for a bare
        // Errno does not match it.
        #expect(!(Errno.noSuchFileOrDirectory ~= error))
    }

    @Test("two-path calls name the path the error is about: both for rename, the destination for copy")
    func twoPathCalls() async throws {
        let scratch = try TemporaryDirectory()
        let source = scratch.appending("source")
        let destination = scratch.appending("destination")
        let unreachable = scratch.appending("missing/copy")
        let (renamed, copied) = try await withRuntime { _ in
            try await FileSystem.write(contentsOf: [1, 2, 3], to: source)
            // renameat2 reads two paths and its ENOENT may be about either: both are named.
            let renamed = await #expect(throws: PathError.self) {
                try await FileSystem.rename(scratch.appending("absent"), to: destination)
            }
            // copy makes one system call per file: the failing open is the destination's.
            let copied = await #expect(throws: PathError.self) {
                try await FileSystem.copy(from: source, to: unreachable)
            }
            return (renamed, copied)
        }
        #expect(
            renamed
                == PathError(
                    path: scratch.appending("absent"), otherPath: destination, systemCall: "renameat2",
                    errno: .noSuchFileOrDirectory))
        #expect(
            renamed?.description
                == "renameat2 \(scratch.appending("absent")) to \(destination): No such file or directory (ENOENT)")
        #expect(copied == PathError(path: unreachable, systemCall: "openat", errno: .noSuchFileOrDirectory))
    }

    @Test("binding to an address in use throws a SocketError with that address, bind and EADDRINUSE")
    func bindAddressInUse() async throws {
        try await withRuntime { _ in
            let first = try TCPListener(binding: .ipv4Loopback())
            let address = first.localAddress
            let thrown = #expect(throws: SocketError.self) { try TCPListener(binding: address) }
            try await first.close()
            let error = try #require(thrown)
            #expect(error == SocketError(address: address, systemCall: "bind", errno: .addressInUse))
            #expect(error.description == "bind to \(address): Address already in use (EADDRINUSE)")
            #expect(!(Errno.addressInUse ~= error))
        }
    }

    @Test("connecting to a closed loopback port throws a SocketError with the address and ECONNREFUSED")
    func connectRefused() async throws {
        try await withRuntime { _ in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let address = listener.localAddress
            try await listener.close()
            let thrown = await #expect(throws: SocketError.self) { try await TCPStream.connect(to: address) }
            let error = try #require(thrown)
            #expect(error == SocketError(address: address, systemCall: "connect", errno: .connectionRefused))
            #expect(error.description == "connect to 127.0.0.1:\(address.port!): Connection refused (ECONNREFUSED)")
        }
    }

    @Test("a call on an open descriptor still throws the bare Errno: reading a write-only file is EBADF")
    func openDescriptorKeepsBareErrno() async throws {
        let scratch = try TemporaryFile(contents: [1, 2, 3])
        try await withRuntime { _ in
            let file = try await File.open(scratch.path, .writeOnly)
            await #expect(throws: Errno.badFileDescriptor) { try await file.read(count: 1, at: 0) }
            try await file.close()
        }
    }
}
