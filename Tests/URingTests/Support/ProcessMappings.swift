// This process's memory mappings as /proc/self/smaps lists them, with their VmFlags
// (tests that check what the kernel was told about a mapping: MADV_DONTFORK shows as "dc",
// MADV_HUGEPAGE as "hg").

struct ProcessMapping: CustomStringConvertible {
    let header: String
    /// The mapping's addresses, `start..<end`.
    let addresses: Range<UInt>
    let inode: UInt64
    let path: String
    var flags: [String] = []
    var description: String { "\(header) [\(flags.joined(separator: " "))]" }

    /// The mappings of /proc/self/smaps with their VmFlags.
    static func all() throws -> [ProcessMapping] {
        var mappings: [ProcessMapping] = []
        for line in try readProcFile("/proc/self/smaps").split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("VmFlags:") {
                mappings[mappings.count - 1].flags = fields.dropFirst().map(String.init)
            } else if let range = fields.first, range.contains("-"), fields.count >= 5,
                      range.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                mappings.append(ProcessMapping(
                    header: String(line), addresses: bounds.count == 2 ? bounds[0]..<bounds[1] : 0..<0,
                    inode: UInt64(fields[4]) ?? 0, path: fields.count > 5 ? fields[5...].joined(separator: " ") : ""))
            }
        }
        return mappings
    }
}
