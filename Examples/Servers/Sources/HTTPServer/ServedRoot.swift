// ServedRoot: the directory the server serves, open for the server's lifetime, and how a
// request's relative path becomes an open file.
//
// By default every file is opened beneath the root (File.open(_:_:beneath:), which is
// openat2 with RESOLVE_BENEATH): a symbolic link inside the root that points out of it
// (`root/link -> /etc/passwd`), or an absolute symbolic link, is refused with 403 and
// never opened, for GET and HEAD alike. Symbolic links that stay inside the root are
// followed. `--follow-symlinks` restores the trusting behaviour: the path is opened as
// root + "/" + relative, wherever its links lead (".." in the request is still refused).
//
// The type and size come from a statx of the path before the open, so that a FIFO or a
// device in the root is never opened (a FIFO's open would wait for a writer); the open
// then decides whether the path may be served.

import URing

struct ServedRoot: Sendable {
    /// The root's path as given (no trailing "/").
    let path: String
    /// Whether symbolic links pointing out of the root are followed.
    let followsSymlinksOut: Bool
    /// The root directory, open until the process exits.
    private let directory: File

    /// Why a path is not served.
    enum Refusal: Error {
        /// Missing, not a regular file (or a directory with an index.html), or unreadable: 404.
        case notFound
        /// Resolving it leaves the root through a symbolic link: 403.
        case escapesRoot
        /// The process or the system is out of descriptors: 503.
        case outOfDescriptors
    }

    /// Opens the root directory.
    ///
    /// - Throws: a `PathError` naming the root, with the kernel's errno (ENOENT, ENOTDIR
    ///   for a file, EACCES, ...).
    static func open(_ path: String, followsSymlinksOut: Bool) async throws -> ServedRoot {
        let directory = try await File.open(FilePath(path), .readOnly, options: .directory)
        return ServedRoot(path: path, followsSymlinksOut: followsSymlinksOut, directory: directory)
    }

    /// Closes the root directory (once the last connection is done).
    func close() async {
        try? await directory.close()
    }

    /// The regular file for `relative` ("" for the root; a directory serves its
    /// index.html), open for reading, with its size and the path it was found at.
    func openFile(_ relative: String) async throws(Refusal) -> (file: File, size: Int64, path: String) {
        var relative = relative
        guard var status = try? await FileSystem.status(of: FilePath(absolute(relative))) else { throw .notFound }
        if status.type == .directory {
            relative = relative.isEmpty ? "index.html" : relative + "/index.html"
            guard let index = try? await FileSystem.status(of: FilePath(absolute(relative))) else { throw .notFound }
            status = index
        }
        guard status.type == .regular else { throw .notFound }
        do {
            let file = followsSymlinksOut
                ? try await File.open(FilePath(absolute(relative)), .readOnly)
                : try await File.open(FilePath(relative), .readOnly, beneath: directory.descriptor)
            return (file, status.size, absolute(relative))
        } catch let error as PathError where error.reason == .escapesDirectory {
            throw .escapesRoot
        } catch let error as PathError where error.errno == .tooManyOpenFiles || error.errno == .tooManyOpenFilesInSystem {
            throw .outOfDescriptors
        } catch {
            throw .notFound
        }
    }

    private func absolute(_ relative: String) -> String {
        relative.isEmpty ? path : path + "/" + relative
    }
}
