// File: an open file whose reads and writes go through the calling worker's ring.
//
// A File is Sendable and may be used by many tasks at once. Every call checks its
// arguments before an SQE is built (negative offsets, closed file) and splits lengths
// the SQE cannot carry (above UInt32.max) instead of truncating them. `close()` waits
// for the calls in flight, then closes through the ring. A File released without
// `close()` closes its descriptor synchronously in deinit and, in debug builds, says so.

import Glibc
import Synchronization

/// An open file whose I/O goes through io_uring.
public final class File: Sendable {
    /// The descriptor; valid until `close()`. Do not close it yourself.
    public let descriptor: FileDescriptor
    let uses = FileUseCount(striped: true)
    /// Opened with O_DIRECT: every read and write is checked for alignment first.
    let isDirect: Bool
    /// A regular file or a block device: its reads and writes finish within the
    /// device's latency, so they run without a cancellation handler (`perform`'s
    /// `cancellable`). Pipes, sockets, terminals and other character devices can wait
    /// forever, and keep cancellation through IORING_OP_ASYNC_CANCEL.
    let completesPromptly: Bool
    /// The registration packed for the drivers (table, slot, generation); 0 for none. Read
    /// once per call, so the hot path takes no lock.
    let registeredHandle = Atomic<UInt64>(0)

    /// Wraps an open descriptor; the File takes ownership and closes it.
    public init(taking descriptor: FileDescriptor) {
        self.descriptor = descriptor
        let flags = fcntl(descriptor.rawValue, F_GETFL)
        isDirect = flags >= 0 && flags & directFlag != 0
        var status = stat()
        let type = fstat(descriptor.rawValue, &status) == 0 ? status.st_mode & S_IFMT : 0
        completesPromptly = type == S_IFREG || type == S_IFBLK
    }

    deinit {
        releaseRegistration()
        if uses.closeNow() {
            #if DEBUG
            let message = "swift-uring: File(fd \(descriptor.rawValue)) was released without close(); closing it now\n"
            _ = try? FileDescriptor.standardError.writeAll(message.utf8)
            #endif
            _ = Glibc.close(descriptor.rawValue)
        }
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { uses.isClosed }

    /// Runs `body` as one call on the open file, or throws `URingError.closed`.
    @inline(__always)
    func withUse<Result>(_ body: () async throws -> Result) async throws -> Result {
        try await uses.withUse(body)
    }

    // MARK: Reading

    /// Reads into `buffer` from `offset`; returns the bytes read (fewer at end of file,
    /// 0 at or past it). Buffers over 4 GiB are read in chunks until one comes up short.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) async throws -> Int {
        let start = try Self.validOffset(offset)
        try checkDirectAlignment(buffer.baseAddress, count: buffer.count, offset: start)
        // The use is taken here, not through `withUse`: its closure costs an executor
        // hop (swift_task_switch) per call on this hot path.
        guard uses.begin() else { throw URingError.closed }
        defer { uses.end() }
        if completesPromptly, buffer.count <= Self.maximumChunk {
            // The common call, alone in this frame (see performPromptly).
            do {
                return try await performPromptly(
                    ReadOperation(descriptor: descriptor, buffer: buffer, offset: start, registeredFile: registeredFileUse),
                    directIO: isDirect)
            } catch {
                throw directIOError(error, buffer.baseAddress, count: buffer.count, offset: start)
            }
        }
        return try await readSlowPath(into: buffer, at: start)
    }

    /// `read(into:at:)` on a file whose reads can wait (a pipe, a terminal), or of a
    /// buffer over one SQE's limit, in a use the caller holds.
    @inline(never)
    private func readSlowPath(into buffer: UnsafeMutableRawBufferPointer, at start: UInt64) async throws -> Int {
        if buffer.count <= Self.maximumChunk {
            do {
                return try await perform(
                    ReadOperation(descriptor: descriptor, buffer: buffer, offset: start, registeredFile: registeredFileUse),
                    cancellable: !completesPromptly, directIO: isDirect)
            } catch {
                throw directIOError(error, buffer.baseAddress, count: buffer.count, offset: start)
            }
        }
        var done = 0
        while done < buffer.count {
            let chunk = UnsafeMutableRawBufferPointer(
                rebasing: buffer[done..<min(buffer.count, done + Self.maximumChunk)])
            let count: Int
            do {
                count = try await perform(
                    ReadOperation(descriptor: descriptor, buffer: chunk, offset: start + UInt64(done), registeredFile: registeredFileUse),
                    cancellable: !completesPromptly, directIO: isDirect)
            } catch {
                throw directIOError(error, chunk.baseAddress, count: chunk.count, offset: start + UInt64(done))
            }
            done += count
            if count < chunk.count { break }
        }
        return done
    }

    /// Reads up to `count` bytes from `offset` (fewer at end of file). On an O_DIRECT file
    /// the read goes into memory aligned for it, rounded up to whole 4 KiB (the bytes past
    /// `count` are dropped), so any count works; `offset` must be a multiple of the
    /// device's logical block size.
    ///
    /// - Throws: `URingError.invalidArgument` for a negative count or offset,
    ///   `Errno.noMemory` when `count` bytes cannot be allocated,
    ///   `URingError.misalignedDirectIO` for an O_DIRECT file and an offset the device
    ///   cannot take.
    public func read(count: Int, at offset: Int64) async throws -> [UInt8] {
        guard count >= 0 else { throw URingError.invalidArgument("count must not be negative, got \(count)") }
        // Safety: owned here and freed on every path after the read returned (the ring no
        // longer touches it then). A count too large to allocate throws ENOMEM.
        let buffer = try IOBuffer.allocate(byteCount: ownReadSize(count), alignment: bufferAlignment)
        defer { IOBuffer.free(buffer) }
        let read = try await self.read(into: buffer, at: offset)
        return Array(UnsafeRawBufferPointer(rebasing: buffer[..<min(read, count)]))
    }

    // MARK: Writing

    /// Writes all of `buffer` at `offset`, continuing after short writes.
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) async throws {
        let start = try Self.validOffset(offset)
        try checkDirectAlignment(buffer.baseAddress, count: buffer.count, offset: start)
        guard uses.begin() else { throw URingError.closed }  // not withUse: see read(into:at:)
        defer { uses.end() }
        var done = 0
        if completesPromptly, buffer.count > 0, buffer.count <= Self.maximumChunk {
            // The common call, alone in this frame (see performPromptly).
            do {
                done = try await performPromptly(
                    WriteOperation(descriptor: descriptor, buffer: buffer, offset: start, registeredFile: registeredFileUse),
                    directIO: isDirect)
            } catch {
                throw directIOError(error, buffer.baseAddress, count: buffer.count, offset: start)
            }
            if done == buffer.count { return }
            if done == 0 { throw Errno.noSpace }
        }
        try await writeSlowPath(buffer, at: start, done: done)
    }

    /// The rest of `write(_:at:)` from `done` bytes on: after a short write, to a file
    /// whose writes can wait (a pipe, a terminal), or of a buffer over one SQE's limit,
    /// in a use the caller holds.
    @inline(never)
    private func writeSlowPath(_ buffer: UnsafeRawBufferPointer, at start: UInt64, done: Int) async throws {
        var done = done
        while done < buffer.count {
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[done..<min(buffer.count, done + Self.maximumChunk)])
            let count: Int
            do {
                count = try await perform(
                    WriteOperation(descriptor: descriptor, buffer: chunk, offset: start + UInt64(done), registeredFile: registeredFileUse),
                    cancellable: !completesPromptly, directIO: isDirect)
            } catch {
                throw directIOError(error, chunk.baseAddress, count: chunk.count, offset: start + UInt64(done))
            }
            if count == 0 {
                throw Errno.noSpace
            }
            done += count
        }
    }

    /// Writes all of `bytes` at `offset` (copied first: the ring needs memory it owns, and
    /// on an O_DIRECT file memory aligned for it; there `bytes.count` and `offset` must be
    /// multiples of the device's logical block size, or this throws
    /// `URingError.misalignedDirectIO`).
    public func write(_ bytes: [UInt8], at offset: Int64) async throws {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: bufferAlignment)
        defer { copy.deallocate() }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        try await write(UnsafeRawBufferPointer(copy), at: offset)
    }

    // MARK: Closing

    /// Waits for the calls in flight, then closes the descriptor through the ring.
    /// Later calls throw `URingError.closed`; closing twice throws it too. The descriptor
    /// is closed on every path: when the ring cannot take the close (the task is
    /// cancelled, a deadline cut it short, the runtime is shutting down, no runtime
    /// runs), close(2) does it here.
    public func close() async throws {
        defer { releaseRegistration() }
        try await uses.close(descriptor)
    }

    // MARK: Registration

    /// What a read or write tells its driver about this file's registration.
    @inline(__always)
    var registeredFileUse: RegisteredFileUse {
        let handle = registeredHandle.load(ordering: .relaxed)
        return handle == 0 ? .none : RegisteredFileUse(handle: handle, descriptor: descriptor.rawValue)
    }

    /// Whether the file is registered with a runtime (`RegisteredFiles.register`); until
    /// it is closed.
    public var isRegistered: Bool { registeredHandle.load(ordering: .relaxed) != 0 }

    /// Ends the registration, if any (after `close()`: no call is in flight any more).
    private func releaseRegistration() {
        let table = uses.withRegistration { table -> RegisteredFiles? in
            defer { table = nil }
            return table
        }
        guard let table else { return }
        table.release(registeredHandle.exchange(0, ordering: .acquiringAndReleasing))
    }

    // MARK: Arguments

    /// The most one SQE can move (its length field is 32 bits); page-aligned.
    static let maximumChunk = Int(UInt32.max) & ~4095

    static func validOffset(_ offset: Int64) throws -> UInt64 {
        guard offset >= 0 else { throw URingError.invalidArgument("offset must not be negative, got \(offset)") }
        return UInt64(offset)
    }
}
