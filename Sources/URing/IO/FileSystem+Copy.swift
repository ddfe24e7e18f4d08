// Copying a file by path: the bytes move inside the kernel with copy_file_range(2), on
// the blocking pool (io_uring has no opcode for it; ext4 and tmpfs copy page-cache pages
// directly, Btrfs and XFS share extents), in calls of up to `kernelCopyChunk` bytes so a
// cancelled task stops between calls. Where the kernel cannot (EXDEV, EINVAL, ENOSYS,
// EOPNOTSUPP: an old kernel, a file system or file kind without support) the rest moves
// in 1 MiB reads and full writes through the ring. A source whose statx size is 0 (an
// empty file, a /proc file made on read) is read through the ring until end of file.
// Both files are closed on every path (success, error, cancellation); the destination
// gets the source's exact permission bits (fchmod(2), one short syscall on an open
// descriptor, run in place), whatever the umask. Each kernel error names the file its
// system call was on (PathError): reads and statx the source, writes and fchmod the
// destination, copy_file_range both.

import Glibc

extension FileSystem {
    /// The bytes each read of the buffered copy moves.
    static let copyChunk = 1 << 20
    /// The most one blocking-pool call of the in-kernel copy moves before the task may be
    /// cancelled.
    static let kernelCopyChunk = 64 << 20

    /// Copies the contents and permission bits of the file at `source` to `destination`,
    /// replacing a file already there.
    ///
    /// The bytes are copied inside the kernel (copy_file_range(2), on the blocking pool;
    /// extents are shared on file systems that support it) and never pass through this
    /// process; where the kernel cannot, they move through the ring in 1 MiB chunks.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path, or when both paths name
    ///   the same file (it would be truncated before being read); `PathError` with reason
    ///   `.unsupportedFileType` for a source that is not a regular file (errno EISDIR for
    ///   a directory; ENOTSUP for a device or FIFO, which may never end); `PathError`
    ///   naming the file and the system call for the kernel's errors ("openat" on the
    ///   source with ENOENT or EACCES, "openat" on the destination, "read", "write",
    ///   "fchmod", "copy_file_range" with both paths, ...); `CancellationError`.
    public static func copy(from source: FilePath, to destination: FilePath) async throws {
        guard !destination.isEmpty else { throw URingError.invalidArgument("the path is empty") }
        let input = try await File.open(source, .readOnly)
        try await closing(input, path: source) { input in
            let status = try await PathError.naming(source, "statx") { try await input.status() }
            if status.type == .directory {
                var error = PathError(path: source, reason: .unsupportedFileType(.directory))
                error.errno = .isDirectory
                throw error
            }
            // A device or FIFO may never end (/dev/zero): refused rather than copied forever.
            if status.type != .regular { throw PathError(path: source, reason: .unsupportedFileType(status.type)) }
            do {
                let existing = try await FileSystem.status(of: destination)
                if existing.device == status.device && existing.inode == status.inode {
                    throw URingError.invalidArgument(
                        "\(source) and \(destination) are the same file; copying would truncate it")
                }
            } catch let error as PathError where error.errno == .noSuchFileOrDirectory {
                // Nothing there yet: the open below creates it.
            }
            let output = try await File.open(
                destination, .writeOnly, options: [.create, .truncate], permissions: status.permissions)
            try await closing(output, path: destination) { output in
                guard fchmod(output.descriptor.rawValue, status.permissions.rawValue) == 0 else {
                    throw PathError(path: destination, systemCall: "fchmod", errno: Errno(rawValue: errno))
                }
                try await copyContents(of: input, to: output, size: status.size, paths: (source, destination))
            }
        }
    }

    /// Copies every byte of `input` to `output` from offset 0: in the kernel when `size`
    /// (the source's statx size) is positive and the kernel can, else through the ring.
    /// Kernel errors are PathErrors naming `paths` (the files' paths): the source for a
    /// read, the destination for a write, both for copy_file_range.
    static func copyContents(
        of input: File, to output: File, size: Int64, paths: (source: FilePath, destination: FilePath)
    ) async throws {
        var offset: Int64 = 0
        if size > 0 {
            let copied = try await PathError.naming(paths.source, otherPath: paths.destination, "copy_file_range") {
                try await copyInKernel(from: input, to: output)
            }
            switch copied {
            case .complete: return
            case .unsupported(let copied): offset = copied
            }
        }
        try await copyThroughRing(
            from: input, to: output, at: offset, bufferSize: copyChunk, stopAtShortRead: false, paths: paths)
    }

    enum KernelCopy {
        /// Every byte up to end of file was copied.
        case complete
        /// The kernel cannot copy between these files; this many bytes were copied first.
        case unsupported(copied: Int64)
    }

    /// copy_file_range(2) from offset 0 until end of file, on the blocking pool.
    static func copyInKernel(from input: File, to output: File) async throws -> KernelCopy {
        let source = input.descriptor.rawValue, target = output.descriptor.rawValue
        var offset: Int64 = 0
        while true {
            let start = offset
            let step = try await input.withUse {
                try await output.withUse {
                    try await performBlocking { try CopySystemCalls.copyRange(from: source, to: target, at: start) }
                }
            }
            offset += step.copied
            switch step.end {
            case .endOfFile: return .complete
            case .unsupported: return .unsupported(copied: offset)
            case nil: try Task.checkCancellation()
            }
        }
    }

    /// Reads into a buffer of `bufferSize` bytes and writes it out, through the ring,
    /// from `offset` until a read returns 0 or, with `stopAtShortRead`, fewer bytes than
    /// asked for (the end of a regular file whose size the caller knows is below the buffer).
    /// Kernel errors are PathErrors naming the source (a read) or the destination (a write).
    static func copyThroughRing(
        from input: File, to output: File, at offset: Int64, bufferSize: Int, stopAtShortRead: Bool,
        paths: (source: FilePath, destination: FilePath)
    ) async throws {
        // Safety: owned here and freed after the last awaited read or write returned, so
        // the ring never touches it afterwards.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var offset = offset
        while true {
            let count = try await PathError.naming(paths.source, "read") {
                try await input.read(into: buffer, at: offset)
            }
            if count == 0 { return }
            try await PathError.naming(paths.destination, "write") {
                try await output.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: offset)
            }
            offset += Int64(count)
            if stopAtShortRead && count < buffer.count { return }
        }
    }
}

/// copy_file_range(2), which Swift's Glibc module does not import (it sits behind
/// _GNU_SOURCE): glibc has exported it since 2.27; looked up once.
enum CopySystemCalls {
    private typealias CopyFileRange = @convention(c) (
        Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
    ) -> Int

    private static let function: CopyFileRange? = {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), "copy_file_range") else { return nil }
        // Safety: glibc's ssize_t copy_file_range(int, off64_t *, int, off64_t *, size_t,
        // unsigned int), which this type mirrors.
        return unsafeBitCast(pointer, to: CopyFileRange.self)
    }()

    struct Step: Sendable {
        enum End: Sendable {
            case endOfFile
            /// EXDEV, EINVAL, ENOSYS or EOPNOTSUPP: the caller copies the rest another way.
            case unsupported
        }

        var copied: Int64
        /// nil: the chunk was copied and more may follow.
        var end: End?
    }

    /// Copies up to `FileSystem.kernelCopyChunk` bytes at `offset` (the same offset in both
    /// files), looping over short copies. Blocking: runs on the pool.
    static func copyRange(from source: Int32, to target: Int32, at offset: Int64) throws -> Step {
        guard let call = function else { return Step(copied: 0, end: .unsupported) }
        var copied: Int64 = 0
        while copied < FileSystem.kernelCopyChunk {
            var sourceOffset = offset + copied, targetOffset = offset + copied
            let count = call(source, &sourceOffset, target, &targetOffset, FileSystem.kernelCopyChunk - Int(copied), 0)
            if count > 0 {
                copied += Int64(count)
                continue
            }
            if count == 0 { return Step(copied: copied, end: .endOfFile) }
            switch errno {
            case EINTR: continue
            case EXDEV, EINVAL, ENOSYS, EOPNOTSUPP: return Step(copied: copied, end: .unsupported)
            default: throw Errno(rawValue: errno)
            }
        }
        return Step(copied: copied, end: nil)
    }
}
