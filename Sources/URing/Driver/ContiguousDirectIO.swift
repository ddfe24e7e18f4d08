// Which O_DIRECT reads and writes wait for the worker's next enter instead of entering
// the kernel as they start (`URingRuntime.Submission.directIOAtOnce`).
//
// One enter per O_DIRECT request hands the device one request at a time, which is what
// random reads at moderate depth want (Benchmarks/raw/FINDINGS.md). Contiguous requests
// want the opposite: those that reach the block layer in one submission (one plug) are
// merged into one larger request, and those that enter one by one are not. So a read
// (or write) that begins where a recent one this ring started in the same direction
// ended, on the same file, while that one is still in flight, is left in the submission
// queue: the worker's next poll or park submits it with the rest of its run, and the
// block layer can merge them. A stream read by one task at a time never has its previous
// read in flight, so it still enters at once. The last few streams in each direction are
// followed (the least recently continued gives way), so files read (or copied) side by
// side on one worker are recognised too, also among random requests.
//
// Only timing depends on this: every operation is submitted either way.

import CLiburing
import Glibc

/// The streams of O_DIRECT reads and writes one ring started lately, and which of them the
/// next request continues. Owner thread only (a value in the driver).
struct ContiguousDirectIO {
    /// The part of a file one read or write covers.
    struct Access {
        /// The descriptor, or the slot in the ring's registered file table.
        var file: Int32
        /// `file` names a registered file table slot (IOSQE_FIXED_FILE).
        var registered: Bool
        var write: Bool
        var offset: UInt64
        var length: UInt32
    }

    /// A stream's latest request: where it ended, its slot, and when it was recorded.
    struct Started {
        /// -1 in an unused entry (no descriptor or table slot is negative).
        var file: Int32
        var registered: Bool
        var end: UInt64
        var ticket: SlotTicket
        /// `Recent.clock` when the stream last started or went on; 0 in an unused entry.
        var used: UInt64

        static let unused = Started(
            file: -1, registered: false, end: 0, ticket: SlotTicket(index: 0, generation: 0), used: 0)
    }

    /// The latest request of up to four streams in one direction: enough for a few files
    /// read or copied side by side on one worker. A request that continues none replaces
    /// the stream that went on least recently, so streams that keep going stay followed
    /// while one-off (random) requests replace each other.
    struct Recent {
        private var entries = InlineArray<4, Started>(repeating: .unused)
        /// Counts `record` calls: an entry's `used` says how recent it is.
        private var clock: UInt64 = 0

        /// Makes `access`, started in `ticket`, the latest of the stream it continues and
        /// returns that stream's previous ticket; nil, replacing the least recently used
        /// entry, when it continues none.
        @inline(__always)
        mutating func record(_ access: Access, ticket: SlotTicket) -> SlotTicket? {
            clock &+= 1
            let started = Started(
                file: access.file, registered: access.registered, end: access.offset &+ UInt64(access.length),
                ticket: ticket, used: clock)
            var leastRecent = 0
            for index in entries.indices {
                let entry = entries[index]
                if entry.end == access.offset, entry.file == access.file, entry.registered == access.registered {
                    entries[index] = started
                    return entry.ticket
                }
                if entry.used < entries[leastRecent].used { leastRecent = index }
            }
            entries[leastRecent] = started
            return nil
        }
    }

    private var reads = Recent()
    private var writes = Recent()

    /// Records `access`, started in `ticket`, as the latest of its stream; returns the
    /// ticket of the request it continues (one of its direction that ended where it
    /// begins, on the same file), nil when it starts a new stream. The caller asks its
    /// slots whether that operation is still in flight.
    @inline(__always)
    mutating func start(_ access: Access, ticket: SlotTicket) -> SlotTicket? {
        access.write ? writes.record(access, ticket: ticket) : reads.record(access, ticket: ticket)
    }
}

extension SubmissionEntry {
    /// The part of a file the read or write prepared here covers; nil for every other
    /// opcode and for one at the file's current position.
    var fileAccess: ContiguousDirectIO.Access? {
        let entry = sqe.pointee
        let write: Bool
        var length = entry.len
        switch UInt32(entry.opcode) {
        case IORING_OP_READ.rawValue, IORING_OP_READ_FIXED.rawValue: write = false
        case IORING_OP_WRITE.rawValue, IORING_OP_WRITE_FIXED.rawValue: write = true
        case IORING_OP_READV.rawValue, IORING_OP_WRITEV.rawValue:
            // Safety: a vectored preparer set `addr` to `len` iovecs that stay valid until
            // the operation's CQE (IOVectors); they are only read here.
            guard let vectors = UnsafePointer<iovec>(bitPattern: UInt(entry.addr)) else { return nil }
            var bytes = 0
            for vector in UnsafeBufferPointer(start: vectors, count: Int(entry.len)) { bytes &+= vector.iov_len }
            guard let total = UInt32(exactly: bytes) else { return nil }
            length = total
            write = UInt32(entry.opcode) == IORING_OP_WRITEV.rawValue
        default: return nil
        }
        guard entry.off != UInt64.max else { return nil }
        return ContiguousDirectIO.Access(
            file: entry.fd, registered: entry.flags & SubmissionFlags.fixedFile.rawValue != 0, write: write,
            offset: entry.off, length: length)
    }
}
