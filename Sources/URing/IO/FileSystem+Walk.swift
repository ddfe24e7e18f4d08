// Walking a directory tree: every entry below a root, directories listed several at a
// time (bounded), each visit handed the entry's path and its d_type. Built on
// contentsOfDirectory (getdents64 on the blocking pool, batch by batch), so a tree of
// millions of entries is never held at once: only the paths of directories still to be
// listed are. Symbolic links are visited, never followed.

extension FileSystem {
    /// Calls `visit` for every entry below `root` (not `root` itself), listing up to
    /// `maximumConcurrency` directories at once; returns when every entry was visited.
    ///
    /// Directories are descended into after their own visit; symbolic links are visited
    /// as links and not followed (so the walk cannot loop or leave the tree). An entry
    /// whose type the file system does not record (`.unknown`) is stat'ed (without
    /// following links) to tell whether it is a directory. `visit` runs concurrently for
    /// entries of different directories, in the order each directory lists its own.
    ///
    /// - Throws: `URingError.invalidArgument` for a `maximumConcurrency` under 1;
    ///   `PathError` naming the directory that could not be listed ("openat" or
    ///   "getdents64") or the entry that could not be stat'ed ("statx"), with its errno
    ///   (ENOENT, ENOTDIR, EACCES, ...); the first error `visit` throws. The first error
    ///   cancels the rest of the walk.
    public static func walk(
        at root: FilePath, maximumConcurrency: Int = 8,
        _ visit: @escaping @Sendable (_ path: FilePath, _ entry: DirectoryEntry) async throws -> Void
    ) async throws {
        guard maximumConcurrency >= 1 else {
            throw URingError.invalidArgument("maximumConcurrency must be at least 1, got \(maximumConcurrency)")
        }
        try await withThrowingTaskGroup(of: [FilePath].self) { group in
            var pending: [FilePath] = [root]
            var listing = 0
            while true {
                while listing < maximumConcurrency, let directory = pending.popLast() {
                    listing += 1
                    group.addTask { try await listDirectory(directory, visit) }
                }
                guard let found = try await group.next() else { return }
                listing -= 1
                pending.append(contentsOf: found)
            }
        }
    }

    /// Visits the entries of `directory`; returns the paths of its subdirectories.
    private static func listDirectory(
        _ directory: FilePath,
        _ visit: @Sendable (_ path: FilePath, _ entry: DirectoryEntry) async throws -> Void
    ) async throws -> [FilePath] {
        var subdirectories: [FilePath] = []
        // contentsOfDirectory's and status(of:)'s errors name their path already.
        var entries = contentsOfDirectory(at: directory).makeAsyncIterator()
        while let entry = try await entries.next() {
            let path = directory.appending(entry.name)
            try await visit(path, entry)
            var type = entry.type
            if type == .unknown { type = try await status(of: path, followSymlinks: false).type }
            if type == .directory { subdirectories.append(path) }
        }
        return subdirectories
    }
}
