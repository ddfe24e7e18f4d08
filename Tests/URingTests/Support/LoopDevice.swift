// A loop block device over a scratch file, with a logical block size of our choosing:
// the only way on a 512-byte-sector disk to get the kernel's own EINVAL for an O_DIRECT
// call that File's 512-byte check lets through. Attached with LOOP_CONFIGURE and
// LO_FLAGS_AUTOCLEAR, so the kernel detaches it when its last descriptor closes (also if
// the test process dies).

import Glibc
import SystemPackage
import Testing

final class LoopDevice: Sendable {
    let path: FilePath
    /// Held open for the device's life: with autoclear, closing the last one detaches it.
    private let descriptor: FileDescriptor
    private let backing: TemporaryFile

    // <linux/loop.h>, which Glibc's module does not import.
    private static let loopControlGetFree: UInt = 0x4C82
    private static let loopConfigure: UInt = 0x4C0A
    private static let autoclear: UInt32 = 4
    /// sizeof(struct loop_config): fd, block_size, struct loop_info64 (232), 8 reserved u64.
    private static let configSize = 4 + 4 + 232 + 64
    /// offsetof(struct loop_config, info.lo_flags).
    private static let flagsOffset = 8 + 52

    /// Why no loop device can be attached here (not root, no loop driver), or nil.
    static let unavailableReason: String? = {
        let control = open("/dev/loop-control", O_RDWR | O_CLOEXEC)
        if control < 0 {
            return "cannot open /dev/loop-control (\(Errno(rawValue: errno))): needs root and the loop driver"
        }
        close(control)
        return nil
    }()

    /// Attaches a device of `byteCount` bytes (zeros) with `blockSize`-byte logical blocks.
    init(byteCount: Int, blockSize: UInt32) throws {
        let backing = try TemporaryFile(contents: Array(repeating: 0, count: byteCount))
        let backingDescriptor = UInt32(backing.descriptor.rawValue)
        let control = try FileDescriptor.open("/dev/loop-control", .readWrite, options: [.closeOnExec])
        defer { try? control.close() }
        // Another process may take the free device between the two calls: try again.
        for _ in 0..<16 {
            let number = ioctl(control.rawValue, Self.loopControlGetFree)
            if number < 0 { throw Errno(rawValue: errno) }
            let path = FilePath("/dev/loop\(number)")
            let device = try FileDescriptor.open(path, .readWrite, options: [.closeOnExec])
            var config = [UInt8](repeating: 0, count: Self.configSize)
            config.withUnsafeMutableBytes { bytes in
                bytes.storeBytes(of: backingDescriptor, toByteOffset: 0, as: UInt32.self)
                bytes.storeBytes(of: blockSize, toByteOffset: 4, as: UInt32.self)
                bytes.storeBytes(of: Self.autoclear, toByteOffset: Self.flagsOffset, as: UInt32.self)
            }
            // Safety: the kernel reads configSize bytes of the array, alive for the call.
            let result = config.withUnsafeMutableBytes { ioctl(device.rawValue, Self.loopConfigure, $0.baseAddress!) }
            if result == 0 {
                self.backing = backing
                self.path = path
                self.descriptor = device
                return
            }
            let error = Errno(rawValue: errno)
            try? device.close()
            if error != .resourceBusy { throw error }
        }
        throw Errno.resourceBusy
    }

    deinit {
        try? descriptor.close()
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips the suite, printing the reason, when this process cannot attach loop devices.
    static var requiresLoopDevices: Self {
        .enabled(if: LoopDevice.unavailableReason == nil, Comment(rawValue: LoopDevice.unavailableReason ?? ""))
    }
}
