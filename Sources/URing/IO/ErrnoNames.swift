// The symbolic name of an errno ("ENOENT"), for error descriptions that say both what
// happened and which code to look for: "No such file or directory (ENOENT)".
//
// glibc's strerrorname_np (2.32) is behind _GNU_SOURCE, which Swift's Glibc module does
// not import: looked up once, like copy_file_range and getdents64.

import Glibc

extension Errno {
    private typealias NameFunction = @convention(c) (Int32) -> UnsafePointer<CChar>?

    private static let nameFunction: NameFunction? = {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), "strerrorname_np") else { return nil }
        // Safety: glibc's const char *strerrorname_np(int), which this type mirrors.
        return unsafeBitCast(pointer, to: NameFunction.self)
    }()

    /// "ENOENT"; "errno 2" where the C library has no name for it.
    var symbolicName: String {
        if let name = Self.nameFunction?(rawValue) { return String(cString: name) }
        return "errno \(rawValue)"
    }

    /// strerror's text and the symbolic name: "No such file or directory (ENOENT)".
    var explained: String { "\(description) (\(symbolicName))" }
}
