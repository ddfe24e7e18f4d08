// Copying a file by path through the ring: 1 MiB reads and full writes at matching
// offsets, with the destination given the source's permission bits. Both files are
// closed on every path (success, error, cancellation).
//
// fchmod(2) has no io_uring opcode: it runs as one short syscall on the calling thread,
// so the copy gets the source's exact bits whatever the umask.

import Glibc
import SystemPackage  // swift-system's `~=` for `catch Errno.x` (URing re-exports only the types)

extension FileSystem {
    /// The bytes each read of `copy(from:to:)` moves.
    static let copyChunk = 1 << 20

    /// Copies the contents and permission bits of the file at `source` to `destination`,
    /// replacing a file already there.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path, or when both paths name
    ///   the same file (it would be truncated before being read); the kernel's `Errno`
    ///   (ENOENT, EACCES, EISDIR when the source is a directory, ...).
    public static func copy(from source: FilePath, to destination: FilePath) async throws {
        guard !destination.isEmpty else { throw URingError.invalidArgument("the path is empty") }
        let input = try await File.open(source, .readOnly)
        try await closing(input) { input in
            let status = try await input.status()
            if status.type == .directory { throw Errno.isDirectory }
            do {
                let existing = try await FileSystem.status(of: destination)
                if existing.device == status.device && existing.inode == status.inode {
                    throw URingError.invalidArgument(
                        "\(source) and \(destination) are the same file; copying would truncate it")
                }
            } catch Errno.noSuchFileOrDirectory {
                // Nothing there yet: the open below creates it.
            }
            let output = try await File.open(
                destination, .writeOnly, options: [.create, .truncate], permissions: status.permissions)
            try await closing(output) { output in
                guard fchmod(output.descriptor.rawValue, status.permissions.rawValue) == 0 else {
                    throw Errno(rawValue: errno)
                }
                try await copyContents(of: input, to: output)
            }
        }
    }

    private static func copyContents(of input: File, to output: File) async throws {
        // Safety: owned here and freed after the last awaited read or write returned, so
        // the ring never touches it afterwards.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: copyChunk, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try await input.read(into: buffer, at: offset)
            if count == 0 { return }
            try await output.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: offset)
            offset += Int64(count)
        }
    }
}
