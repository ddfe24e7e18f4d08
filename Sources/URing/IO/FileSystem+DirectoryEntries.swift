// Listing a directory as an AsyncSequence, streamed in batches.
//
// io_uring has no getdents opcode on the kernels this runs on, so the directory is
// opened through the ring (OPENAT, O_DIRECTORY) and read with getdents64(2) on the
// blocking pool (performBlocking): one pool hop per batch of up to 32 KiB of entries
// (hundreds of names), decoded there into values, so a directory of millions of entries
// is never held at once. Each entry's type comes from d_type, with no stat (file systems
// that do not fill it report `.unknown`). One iterator's batches run one at a time; the
// descriptor is closed at the end, on the first error, or when the iterator is released
// early (a loop that breaks, a cancelled task).

import Glibc
import URingExecutor

/// One name in a directory, as `FileSystem.contentsOfDirectory(at:)` lists it.
public struct DirectoryEntry: Sendable, Hashable {
    /// The entry's name within its directory (never "." or "..").
    public var name: FilePath.Component
    /// Its type, from the directory itself (d_type); `.unknown` where the file system
    /// does not record it (then `FileSystem.status(of:followSymlinks:)` tells).
    public var type: FileStatus.FileType
    /// Its inode number.
    public var inode: UInt64
}

extension FileSystem {
    /// The entries of the directory at `path`, except "." and "..", in the order the
    /// file system returns them, read in batches as the sequence is iterated.
    ///
    /// io_uring has no opcode for reading directories on current kernels: the directory
    /// is opened through the ring, and each batch is read with getdents64(2) on the
    /// blocking pool (`URingRuntime.runBlocking`'s). Entry types come from d_type, with
    /// no stat per entry. Nothing is opened until the first `next()`; the directory is
    /// closed when the iteration ends, fails, or its iterator is released.
    ///
    /// - Throws (from `next()`): `URingError.invalidArgument` for an empty path;
    ///   ``PathError`` naming `path` and the system call for the kernel's errors ("openat"
    ///   with ENOENT, ENOTDIR when `path` is not a directory, EACCES, ...; "getdents64");
    ///   `CancellationError` when the task is cancelled while a batch waits for the pool.
    public static func contentsOfDirectory(at path: FilePath) -> DirectoryEntries {
        DirectoryEntries(path: path)
    }
}

/// The entries of one directory, read in batches as they are iterated
/// (`FileSystem.contentsOfDirectory(at:)`). Each iterator opens the directory anew.
public struct DirectoryEntries: AsyncSequence, Sendable {
    /// Each element is one entry of the directory.
    public typealias Element = DirectoryEntry

    /// The directory listed.
    public let path: FilePath

    /// A new iterator, which opens the directory on its first `next()` and closes it at
    /// the end, on an error, or when released.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path)
    }

    /// Reads the directory a batch at a time; closes it at the end, on an error, or when released.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let path: FilePath
        private var reader: DirectoryReader?
        private var batch: [DirectoryEntry] = []
        private var index = 0
        private var finished = false

        init(path: FilePath) {
            self.path = path
        }

        /// The next entry, or nil at the end.
        public mutating func next() async throws -> DirectoryEntry? {
            while index == batch.count {
                if finished { return nil }
                do {
                    let reader = try await openedReader()
                    batch = try await PathError.naming(path, "getdents64") { try await reader.nextBatch() }
                } catch {
                    finished = true
                    reader?.close()
                    reader = nil
                    throw error
                }
                index = 0
                if batch.isEmpty {
                    finished = true
                    reader?.close()
                    reader = nil
                    return nil
                }
            }
            defer { index += 1 }
            return batch[index]
        }

        private mutating func openedReader() async throws -> DirectoryReader {
            if let reader { return reader }
            let operation = OpenAtOperation(
                path: try PathBuffer(path), directory: nil, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC, mode: 0)
            let descriptor = try await PathError.naming(path, "openat") { try await perform(operation) }
            let opened = DirectoryReader(descriptor: descriptor)
            reader = opened
            return opened
        }
    }
}

/// An open directory and the buffer its getdents64 batches land in.
///
/// One iterator owns it and awaits each batch before asking for the next, so its
/// descriptor and buffer are never used by two threads at once; the lock around them
/// makes that hand-over (pool thread during a batch, iterating task or deinit after it)
/// an explicit happens-before instead of one that lives in the concurrency runtime.
final class DirectoryReader: Sendable {
    private struct Handle {
        var descriptor: Int32
        let buffer: UnsafeMutableRawBufferPointer
    }

    private let handle: ThreadLock<Handle>

    /// The bytes each getdents64 call may fill (as glibc's readdir uses).
    static let batchBytes = 32 * 1024

    init(descriptor: FileDescriptor) {
        // Safety: owned by this reader, freed in deinit; only a batch writes it.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batchBytes, alignment: 8)
        handle = ThreadLock(Handle(descriptor: descriptor.rawValue, buffer: buffer))
    }

    deinit {
        handle.withLock { handle in
            Self.close(&handle)
            handle.buffer.deallocate()
        }
    }

    /// Closes the directory now (once).
    func close() {
        handle.withLock { Self.close(&$0) }
    }

    private static func close(_ handle: inout Handle) {
        if handle.descriptor >= 0 { _ = Glibc.close(handle.descriptor) }
        handle.descriptor = -1
    }

    /// The next batch of entries; empty at the end.
    func nextBatch() async throws -> [DirectoryEntry] {
        try await performBlocking { try self.readBatch() }
    }

    private func readBatch() throws -> [DirectoryEntry] {
        try handle.withLock { handle in
            var entries: [DirectoryEntry] = []
            while entries.isEmpty {
                // Safety: the kernel writes at most `buffer.count` bytes into the reader's own buffer.
                let count = DirectorySystemCalls.getdents64(handle.descriptor, handle.buffer.baseAddress, handle.buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Errno(rawValue: errno)
                }
                if count == 0 { return [] }
                entries = Self.decode(UnsafeRawBufferPointer(rebasing: handle.buffer[..<count]))
            }
            return entries
        }
    }

    /// The entries in a getdents64 result (struct linux_dirent64: d_ino u64, d_off s64,
    /// d_reclen u16, d_type u8, then the NUL-terminated name), without "." and "..".
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [DirectoryEntry] {
        // Safety: every load is bounds-checked against `bytes` (the kernel's record
        // lengths included) and unaligned-safe; names are copied out before returning.
        var entries: [DirectoryEntry] = []
        var offset = 0
        while offset + 19 < bytes.count {
            let inode = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt16.self))
            let type = bytes[offset + 18]
            guard length > 19, offset + length <= bytes.count else { break }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[(offset + 19)..<(offset + length)])
            let nameLength = nameBytes.firstIndex(of: 0) ?? nameBytes.count
            offset += length
            let raw = Array(nameBytes[..<nameLength].map { CChar(bitPattern: $0) }) + [0]
            guard let name = FilePath.Component(platformString: raw), name.kind == .regular else { continue }
            entries.append(DirectoryEntry(name: name, type: FileStatus.FileType(directoryEntryType: type), inode: inode))
        }
        return entries
    }
}

extension FileStatus.FileType {
    /// The type a directory entry's d_type names (<dirent.h> DT_*).
    init(directoryEntryType type: UInt8) {
        switch type {
        case 1: self = .fifo  // DT_FIFO
        case 2: self = .characterDevice  // DT_CHR
        case 4: self = .directory  // DT_DIR
        case 6: self = .blockDevice  // DT_BLK
        case 8: self = .regular  // DT_REG
        case 10: self = .symbolicLink  // DT_LNK
        case 12: self = .socket  // DT_SOCK
        default: self = .unknown  // DT_UNKNOWN: the file system did not say
        }
    }
}

/// getdents64(2), which Swift's Glibc module does not import (it sits behind _GNU_SOURCE):
/// glibc has exported it since 2.30; looked up once.
private enum DirectorySystemCalls {
    private typealias GetDirectoryEntries = @convention(c) (Int32, UnsafeMutableRawPointer?, Int) -> Int

    private static let function: GetDirectoryEntries? = {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), "getdents64") else { return nil }
        // Safety: glibc's ssize_t getdents64(int, void *, size_t), which this type mirrors.
        return unsafeBitCast(pointer, to: GetDirectoryEntries.self)
    }()

    /// The C result; on failure -1 with `errno` set (ENOSYS where glibc lacks it).
    static func getdents64(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        guard let call = function else { errno = ENOSYS; return -1 }
        return call(descriptor, buffer, count)
    }
}
