// SocketAddress in and out of the heap buffers that socket operations hand the kernel
// (Operations/SocketAddressBuffer, Operations/MessageBuffer): those stay address-agnostic
// sockaddr storage; the conversions to the public value live here, with the value.

import Glibc

extension SocketAddressBuffer {
    /// Holds `address` (connect, sendmsg).
    convenience init(_ address: SocketAddress) {
        self.init()
        length.pointee = address.write(into: storage)
    }

    /// The address the kernel wrote, if its family is one SocketAddress models.
    var address: SocketAddress? { SocketAddress(storage: storage, length: length.pointee) }
}

extension MessageBuffer {
    /// A message carrying a copy of `bytes` to `address`.
    convenience init(sending bytes: UnsafeRawBufferPointer, to address: SocketAddress) throws {
        try self.init(capacity: bytes.count, peer: SocketAddressBuffer(address))
        if bytes.count > 0 { payload.copyMemory(from: bytes) }
    }

    /// The sender's address of a received message.
    var sender: SocketAddress? { SocketAddress(storage: peer.storage, length: header.pointee.msg_namelen) }
}
