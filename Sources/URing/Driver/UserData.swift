// The typed meaning of a CQE's user_data.
//
// Layout: bits 0..<32 slot index, 32..<56 slot generation (24 bits, wrapping), 56..<64
// kind. A CQE whose generation does not match its slot's is stale: it is dropped and
// counted, never resumed. Kinds >= 0xF0 are reserved tags that name no slot.

struct UserData: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt64

    enum Kind: UInt8 {
        /// The CQE of an operation's main SQE.
        case operation = 0
        /// The CQE of the IORING_OP_LINK_TIMEOUT linked behind an operation.
        case linkedTimeout = 1
        /// An IORING_OP_ASYNC_CANCEL sent to find out whether the slot's operation is
        /// still in the kernel after CQEs were dropped (EBADR).
        case lostProbe = 2
        /// A reserved tag (see the static members); names no slot.
        case reserved = 0xF0
    }

    init(rawValue: UInt64) { self.rawValue = rawValue }

    init(kind: Kind, ticket: SlotTicket) {
        rawValue = UInt64(kind.rawValue) << 56 | UInt64(ticket.generation & Self.generationMask) << 32
            | UInt64(ticket.index)
    }

    static let generationMask: UInt32 = 0x00FF_FFFF

    var kind: Kind? {
        let raw = UInt8(truncatingIfNeeded: rawValue >> 56)
        return raw >= Kind.reserved.rawValue ? .reserved : Kind(rawValue: raw)
    }

    var ticket: SlotTicket {
        SlotTicket(
            index: UInt32(truncatingIfNeeded: rawValue),
            generation: UInt32(truncatingIfNeeded: rawValue >> 32) & Self.generationMask)
    }

    /// The read kept armed on the worker's eventfd: its CQE means "someone unparked you".
    static let eventFDWake = UserData(rawValue: 0xF000_0000_0000_0001)
    /// An IORING_OP_ASYNC_CANCEL for some slot; posted (with SKIP_SUCCESS) only on failure.
    static let cancelRequest = UserData(rawValue: 0xF000_0000_0000_0002)

    var description: String {
        switch self {
        case .eventFDWake: return "eventfd-wake"
        case .cancelRequest: return "cancel-request"
        default:
            let ticket = self.ticket
            return "\(kind.map { "\($0)" } ?? "unknown")#\(ticket.index)g\(ticket.generation)"
        }
    }
}
