// The memory an emulated ring's io_uring struct points at: the SQ head/tail/mask words,
// the SQE array and its index array, and a one-entry CQ (completions bypass it: they go
// to the Ring's backlog). liburing's inline SQ helpers read and write these exactly as
// they would a kernel ring's. Owner thread only.

import CLiburing

struct EmulatedQueues {
    // Safety: allocated in init and freed in `deallocate` (at the emulator's tearDown);
    // the Ring's io_uring struct points into it for the Ring's whole life.
    private let words: UnsafeMutablePointer<UInt32>
    private let sqes: UnsafeMutablePointer<io_uring_sqe>
    private let sqArray: UnsafeMutablePointer<UInt32>
    private let cqes: UnsafeMutablePointer<io_uring_cqe>
    let entries: UInt32

    /// Queues for `entries` SQEs (a power of two).
    init(entries: UInt32) {
        self.entries = entries
        words = .allocate(capacity: 16)
        words.initialize(repeating: 0, count: 16)
        sqes = .allocate(capacity: Int(entries))
        sqes.initialize(repeating: io_uring_sqe(), count: Int(entries))
        sqArray = .allocate(capacity: Int(entries))
        sqArray.initialize(repeating: 0, count: Int(entries))
        cqes = .allocate(capacity: 1)
        cqes.initialize(to: io_uring_cqe())
    }

    /// Points `ring`'s SQ and CQ at this memory.
    func attach(to ring: UnsafeMutablePointer<io_uring>) {

        words[2] = entries - 1
        words[3] = entries
        words[8] = 0
        words[9] = entries * 2
        var uring = io_uring()
        uring.sq.khead = words
        uring.sq.ktail = words + 1
        uring.sq.kring_mask = words + 2
        uring.sq.kring_entries = words + 3
        uring.sq.kflags = words + 4
        uring.sq.kdropped = words + 5
        uring.sq.array = sqArray
        uring.sq.sqes = sqes
        uring.sq.ring_mask = entries - 1
        uring.sq.ring_entries = entries
        uring.cq.khead = words + 6
        uring.cq.ktail = words + 7
        uring.cq.kring_mask = words + 8
        uring.cq.kring_entries = words + 9
        uring.cq.kflags = words + 10
        uring.cq.koverflow = words + 11
        uring.cq.cqes = cqes
        // The CQ stays empty (completions go to the Ring's backlog), so one entry suffices.
        uring.cq.ring_mask = 0
        uring.cq.ring_entries = entries * 2
        uring.ring_fd = -1
        uring.enter_ring_fd = -1
        ring.pointee = uring
    }

    /// The kernel's side of the SQ head: SQEs before it have been taken.
    var submissionHead: UInt32 {
        get { words[0] }
        nonmutating set { words[0] = newValue }
    }

    /// The SQE at ring position `index` (wrapping).
    func entry(at index: UInt32) -> io_uring_sqe {
        sqes[Int(index & (entries - 1))]
    }

    func deallocate() {
        words.deallocate()
        sqes.deallocate()
        sqArray.deallocate()
        cqes.deallocate()
    }
}
