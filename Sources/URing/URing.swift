// What `import URing` brings of swift-system: exactly the types that appear in URing's
// public API (with their nested types: FileDescriptor.AccessMode and .OpenOptions,
// FilePath.Component), not the rest of the module (its own IORing, its other types), so
// a program that also imports NIOFileSystem or swift-system's IORing meets no ambiguity
// from us. Code that wants more of swift-system imports SystemPackage itself.
@_exported import struct SystemPackage.Errno
@_exported import struct SystemPackage.FileDescriptor
@_exported import struct SystemPackage.FilePath
@_exported import struct SystemPackage.FilePermissions
