// Copying a whole tree, as `cp -a` does for regular files, directories and symbolic
// links: contents, permission bits, access and modification times, and the owner where
// the process may set it.
//
// One coordinating loop (the caller's task, no locks) owns the walk: a stack of jobs and,
// per directory, how many of its entries are still being copied. At most
// `maximumConcurrency` jobs run at once as child tasks (they inherit the caller's
// executor preference, so their ring operations go to workers' rings). A directory job
// creates the directory (mode 0700 | its bits, so it can be filled) and lists it; each
// entry becomes a job; when a directory's last entry is done, a finishing job gives it
// its owner, exact mode and times (after its contents, whose creation changes its mtime).
// The first error cancels every job and is thrown; what was copied until then stays.
//
// Per regular file: open, statx, create (O_EXCL) through the ring; the contents through
// the ring when small (`ringCopyLimit`), else copy_file_range on the blocking pool; then
// fchown, fchmod and futimens in one blocking-pool call (no opcode for them, and they
// may wait for the file system's journal under write load); both files closed through the
// ring on every path. Directories and symbolic links get theirs on the pool too.

import Glibc

extension FileSystem {
    /// How many jobs (one file, one directory listing, one directory's finishing) a tree
    /// copy runs at once unless told otherwise.
    public static let defaultTreeCopyConcurrency = 32

    /// Files at most this large are copied with reads and writes through the ring (two
    /// operations on a worker); larger ones with copy_file_range on the blocking pool.
    static let ringCopyLimit: Int64 = 256 * 1024

    /// Copies the file, symbolic link or directory tree at `source` to `destination`,
    /// which must not exist, keeping what `cp -a` keeps for these kinds of file: the
    /// contents, permission bits (set-user-ID, set-group-ID and sticky included), access
    /// and modification times (to the nanosecond, directories' too), symbolic links as
    /// links (their targets as written, not followed), and owner and group where the
    /// process may set them (as root; otherwise the group, where it is one of ours).
    ///
    /// Differences from `cp -a`: hard links become separate copies; extended attributes
    /// and ACLs are not copied; FIFOs, sockets and device files are refused
    /// (`PathError` with reason `.unsupportedFileType`) instead of recreated.
    ///
    /// Up to `maximumConcurrency` files and directories are in progress at once. io_uring
    /// does the opens, statx, reads, writes, closes, mkdir and symlink creation; listing
    /// directories (getdents64), copy_file_range for files over 256 KiB, readlink and
    /// setting owners, modes and times run on the blocking pool.
    ///
    /// - Throws: `URingError.invalidArgument` for an empty path or a `maximumConcurrency`
    ///   below 1; `PathError` naming the path that failed: `.unsupportedFileType`, or
    ///   `.systemCallFailed` with the call and the kernel's errno (EEXIST when
    ///   `destination` exists, ENOENT when `source` does not, EACCES, ENOSPC, ...);
    ///   `CancellationError`. After an error, what was copied until then stays.
    public static func copyTree(
        from source: FilePath, to destination: FilePath, maximumConcurrency: Int = defaultTreeCopyConcurrency
    ) async throws {
        guard maximumConcurrency >= 1 else {
            throw URingError.invalidArgument("maximumConcurrency must be at least 1, got \(maximumConcurrency)")
        }
        guard !source.isEmpty, !destination.isEmpty else { throw URingError.invalidArgument("the path is empty") }
        let status = try await TreeCopy.step("statx", source) {
            try await FileSystem.status(of: source, followSymlinks: false)
        }
        guard status.type == .directory else {
            try await TreeCopy.copyEntry(source, destination, type: status.type)
            return
        }
        var walk = TreeCopy.Walk(root: source, destination: destination, status: status)
        try await walk.run(maximumConcurrency: maximumConcurrency)
    }
}

/// The pieces of `FileSystem.copyTree`.
enum TreeCopy {
    /// Runs `body`, turning a kernel error into a PathError that names `path` and `call`
    /// (the FileSystem and File calls it wraps name their path already; a step names the
    /// call as the tree copy sees it, such as "getdents64" for a listing).
    static func step<Result>(_ call: String, _ path: FilePath, _ body: () async throws -> Result) async throws -> Result {
        try await PathError.naming(path, call, body)
    }

    /// What one job of the walk does.
    enum Job: Sendable {
        /// Create directory `index` and list its source.
        case list(index: Int, source: FilePath, destination: FilePath)
        /// Copy one entry of directory `parent`.
        case entry(parent: Int, source: FilePath, destination: FilePath, type: FileStatus.FileType)
        /// Give directory `index` its owner, mode and times: its contents are done.
        case finish(index: Int, destination: FilePath, status: FileStatus)
    }

    /// What a job reports back to the walk.
    enum Report: Sendable {
        case listed(index: Int, status: FileStatus, entries: [DirectoryEntry])
        case copied(parent: Int)
        /// An entry of unknown type (no d_type) turned out to be a directory.
        case foundDirectory(parent: Int, source: FilePath, destination: FilePath)
        case finished(index: Int)
    }

    /// The walk's state: owned by the coordinating task alone.
    struct Walk {
        struct Directory {
            var source: FilePath
            var destination: FilePath
            var parent: Int?
            var status: FileStatus?
            /// Entries listed and not yet reported copied (or finished, for directories).
            var remaining = 0
        }

        var directories: [Directory]
        var pending: [Job]

        init(root: FilePath, destination: FilePath, status: FileStatus) {
            directories = [Directory(source: root, destination: destination, parent: nil, status: status)]
            pending = [.list(index: 0, source: root, destination: destination)]
        }

        mutating func run(maximumConcurrency: Int) async throws {
            try await withThrowingTaskGroup(of: Report.self) { group in
                var running = 0
                while true {
                    while running < maximumConcurrency, let job = pending.popLast() {
                        group.addTask { try await TreeCopy.run(job) }
                        running += 1
                    }
                    guard running > 0, let report = try await group.next() else { return }
                    running -= 1
                    if try handle(report) { return }
                }
            }
        }

        /// Takes in one job's report; true when the root directory is finished.
        private mutating func handle(_ report: Report) throws -> Bool {
            switch report {
            case .listed(let index, let status, let entries):
                directories[index].status = status
                directories[index].remaining = entries.count
                let source = directories[index].source, destination = directories[index].destination
                for entry in entries {
                    let from = source.appending(entry.name), to = destination.appending(entry.name)
                    if entry.type == .directory {
                        addDirectory(parent: index, source: from, destination: to)
                    } else {
                        pending.append(.entry(parent: index, source: from, destination: to, type: entry.type))
                    }
                }
                if entries.isEmpty { finishDirectory(index) }
            case .foundDirectory(let parent, let source, let destination):
                addDirectory(parent: parent, source: source, destination: destination)
            case .copied(let parent):
                entryDone(in: parent)
            case .finished(let index):
                guard let parent = directories[index].parent else { return true }
                entryDone(in: parent)
            }
            return false
        }

        private mutating func addDirectory(parent: Int, source: FilePath, destination: FilePath) {
            directories.append(Directory(source: source, destination: destination, parent: parent))
            pending.append(.list(index: directories.count - 1, source: source, destination: destination))
        }

        private mutating func entryDone(in index: Int) {
            directories[index].remaining -= 1
            if directories[index].remaining == 0 { finishDirectory(index) }
        }

        private mutating func finishDirectory(_ index: Int) {
            guard let status = directories[index].status else {
                fatalError("Internal inconsistency: a tree copy finished a directory it never listed")
            }
            pending.append(.finish(index: index, destination: directories[index].destination, status: status))
        }
    }

    static func run(_ job: Job) async throws -> Report {
        switch job {
        case .list(let index, let source, let destination):
            let status = try await step("statx", source) { try await FileSystem.status(of: source, followSymlinks: false) }
            try await step("mkdirat", destination) {
                try await FileSystem.createDirectory(
                    destination, permissions: FilePermissions(rawValue: status.permissions.rawValue & 0o777 | 0o700))
            }
            var entries: [DirectoryEntry] = []
            try await step("getdents64", source) {
                for try await entry in FileSystem.contentsOfDirectory(at: source) { entries.append(entry) }
            }
            return .listed(index: index, status: status, entries: entries)
        case .entry(let parent, let source, let destination, var type):
            if type == .unknown {
                type = try await step("statx", source) { try await FileSystem.status(of: source, followSymlinks: false).type }
                if type == .directory { return .foundDirectory(parent: parent, source: source, destination: destination) }
            }
            try await copyEntry(source, destination, type: type)
            return .copied(parent: parent)
        case .finish(let index, let destination, let status):
            try await setMetadata(of: destination, to: status, followSymlinks: true)
            return .finished(index: index)
        }
    }

    /// Copies one regular file or symbolic link; anything else (a directory excepted,
    /// which the walk handles) is refused.
    static func copyEntry(_ source: FilePath, _ destination: FilePath, type: FileStatus.FileType) async throws {
        switch type {
        case .regular: try await copyFile(source, destination)
        case .symbolicLink: try await copyLink(source, destination)
        default: throw PathError(path: source, reason: .unsupportedFileType(type))
        }
    }

    private static func copyFile(_ source: FilePath, _ destination: FilePath) async throws {
        // O_NOFOLLOW: a file replaced by a symbolic link since it was listed is refused
        // (ELOOP), not followed.
        let input = try await step("openat", source) { try await File.open(source, .readOnly, options: [.noFollow]) }
        try await FileSystem.closing(input, path: source) { input in
            let status = try await step("statx", source) { try await input.status() }
            guard status.type == .regular else { throw PathError(path: source, reason: .unsupportedFileType(status.type)) }
            let output = try await step("openat", destination) {
                try await File.open(
                    destination, .writeOnly, options: [.create, .exclusiveCreate, .noFollow],
                    permissions: FilePermissions(rawValue: status.permissions.rawValue & 0o777))
            }
            try await FileSystem.closing(output, path: destination) { output in
                // Their errors name the source (reads), the destination (writes) or both
                // (copy_file_range).
                if status.size <= FileSystem.ringCopyLimit {
                    // A read shorter than size + 1 bytes is the end: one read and one
                    // write per file. Size 0 (empty, or made on read) reads to the end.
                    try await FileSystem.copyThroughRing(
                        from: input, to: output, at: 0, bufferSize: max(Int(status.size) + 1, 4096),
                        stopAtShortRead: status.size > 0, paths: (source, destination))
                } else {
                    try await FileSystem.copyContents(
                        of: input, to: output, size: status.size, paths: (source, destination))
                }
                try await setMetadata(of: output, to: status, path: destination)
            }
        }
    }

    private static func copyLink(_ source: FilePath, _ destination: FilePath) async throws {
        let status = try await step("statx", source) { try await FileSystem.status(of: source, followSymlinks: false) }
        let target = try await step("readlink", source) { try await FileSystem.readLink(at: source) }
        try await step("symlinkat", destination) { try await FileSystem.createSymbolicLink(at: destination, to: target) }
        try await setMetadata(of: destination, to: status, followSymlinks: false)
    }

    /// Owner (where permitted), exact mode and times of an open file, in one blocking-pool
    /// call: no opcode exists for them, and on a journalled file system under write load
    /// each may wait for the journal.
    private static func setMetadata(of file: File, to status: FileStatus, path: FilePath) async throws {
        let descriptor = file.descriptor.rawValue
        let times = [FileSystem.timeSpec(status.accessTime), FileSystem.timeSpec(status.modificationTime)]
        try await file.withUse {
            try await performBlocking {
                if fchown(descriptor, status.userID, status.groupID) != 0 {
                    // Not root: keep at least the group, if it is one of ours; else leave it (cp -a too).
                    _ = fchown(descriptor, UInt32.max, status.groupID)
                }
                guard fchmod(descriptor, status.permissions.rawValue) == 0 else {
                    throw PathError(path: path, systemCall: "fchmod", errno: Errno(rawValue: errno))
                }
                guard futimens(descriptor, times) == 0 else {
                    throw PathError(path: path, systemCall: "futimens", errno: Errno(rawValue: errno))
                }
            }
        }
    }

    /// Owner (where permitted), mode (not for links: Linux has none of their own) and
    /// times of a directory or symbolic link by path, on the blocking pool.
    private static func setMetadata(of path: FilePath, to status: FileStatus, followSymlinks: Bool) async throws {
        let buffer = try PathBuffer(path)
        let times = [FileSystem.timeSpec(status.accessTime), FileSystem.timeSpec(status.modificationTime)]
        let flags = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        try await performBlocking {
            if fchownat(AT_FDCWD, buffer.pointer, status.userID, status.groupID, flags) != 0 {
                _ = fchownat(AT_FDCWD, buffer.pointer, UInt32.max, status.groupID, flags)
            }
            if followSymlinks, fchmodat(AT_FDCWD, buffer.pointer, status.permissions.rawValue, 0) != 0 {
                throw PathError(path: path, systemCall: "fchmodat", errno: Errno(rawValue: errno))
            }
            guard utimensat(AT_FDCWD, buffer.pointer, times, flags) == 0 else {
                throw PathError(path: path, systemCall: "utimensat", errno: Errno(rawValue: errno))
            }
        }
    }
}
