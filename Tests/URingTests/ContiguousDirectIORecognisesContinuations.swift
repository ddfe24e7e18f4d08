// ContiguousDirectIO, the record behind `.directIOAtOnce`'s exception: which O_DIRECT
// read or write continues the previous one in its direction, as values with no ring.

import Testing

@testable import URing

@Suite("ContiguousDirectIO names the request an O_DIRECT read or write continues")
struct ContiguousDirectIORecognisesContinuations {
    static func access(
        file: Int32 = 5, registered: Bool = false, write: Bool = false, offset: UInt64, length: UInt32 = 4_096
    ) -> ContiguousDirectIO.Access {
        ContiguousDirectIO.Access(file: file, registered: registered, write: write, offset: offset, length: length)
    }

    static func ticket(_ index: UInt32) -> SlotTicket { SlotTicket(index: index, generation: 1) }

    @Test("a request that begins where another ended continues it; the first, a gap and going back do not")
    func continuation() {
        var record = ContiguousDirectIO()
        #expect(record.start(Self.access(offset: 0), ticket: Self.ticket(1)) == nil)
        #expect(record.start(Self.access(offset: 4_096, length: 8_192), ticket: Self.ticket(2)) == Self.ticket(1))
        #expect(record.start(Self.access(offset: 12_288), ticket: Self.ticket(3)) == Self.ticket(2))
        // A gap starts a stream of its own; the first one goes on where it stopped.
        #expect(record.start(Self.access(offset: 65_536), ticket: Self.ticket(4)) == nil)
        #expect(record.start(Self.access(offset: 16_384), ticket: Self.ticket(5)) == Self.ticket(3))
        #expect(record.start(Self.access(offset: 69_632), ticket: Self.ticket(6)) == Self.ticket(4))
        // Going back to where an earlier request ended, which a later one has since
        // continued, is not a continuation.
        #expect(record.start(Self.access(offset: 12_288), ticket: Self.ticket(7)) == nil)
    }

    @Test("streams of different files interleaved on one ring each continue their own")
    func interleavedStreams() {
        var record = ContiguousDirectIO()
        for file: Int32 in 3...6 {
            #expect(record.start(Self.access(file: file, offset: 0), ticket: Self.ticket(UInt32(file))) == nil)
        }
        for round: UInt32 in 1...3 {
            for file: Int32 in 3...6 {
                let previous = (round - 1) * 10 + UInt32(file)
                #expect(
                    record.start(
                        Self.access(file: file, offset: UInt64(round) * 4_096),
                        ticket: Self.ticket(round * 10 + UInt32(file)))
                        == Self.ticket(previous))
            }
        }
    }

    @Test("a fifth stream pushes out the one that went on least recently")
    func fifthStream() {
        var record = ContiguousDirectIO()
        for file: Int32 in 3...7 {
            #expect(record.start(Self.access(file: file, offset: 0), ticket: Self.ticket(UInt32(file))) == nil)
        }
        // File 3's stream was pushed out by file 7's; files 4-7 are still followed.
        #expect(record.start(Self.access(file: 3, offset: 4_096), ticket: Self.ticket(13)) == nil)
        #expect(record.start(Self.access(file: 7, offset: 4_096), ticket: Self.ticket(17)) == Self.ticket(7))

        // Four streams; 3, 4 and 6 go on, 5 does not: a one-off request replaces 5, not
        // 3, which started first.
        var another = ContiguousDirectIO()
        for file: Int32 in 3...6 {
            _ = another.start(Self.access(file: file, offset: 0), ticket: Self.ticket(UInt32(file)))
        }
        for file: Int32 in [3, 4, 6] {
            #expect(
                another.start(Self.access(file: file, offset: 4_096), ticket: Self.ticket(10 + UInt32(file)))
                    == Self.ticket(UInt32(file)))
        }
        #expect(another.start(Self.access(file: 9, offset: 1 << 20), ticket: Self.ticket(99)) == nil)
        #expect(another.start(Self.access(file: 3, offset: 8_192), ticket: Self.ticket(23)) == Self.ticket(13))
        #expect(another.start(Self.access(file: 5, offset: 4_096), ticket: Self.ticket(15)) == nil)
    }

    @Test("a stream that goes on stays followed among any number of one-off requests")
    func streamAmongOneOffRequests() {
        var record = ContiguousDirectIO()
        #expect(record.start(Self.access(file: 3, offset: 0), ticket: Self.ticket(1)) == nil)
        var previous = Self.ticket(1)
        for round: UInt32 in 1...12 {
            // A random read of another file: it continues nothing and starts a stream of one.
            #expect(
                record.start(Self.access(file: 9, offset: UInt64(round) << 20), ticket: Self.ticket(100 + round)) == nil)
            let next = Self.ticket(round + 1)
            #expect(record.start(Self.access(file: 3, offset: UInt64(round) * 4_096), ticket: next) == previous)
            previous = next
        }
    }

    @Test("another file, or the same number naming a registered slot, is not a continuation")
    func otherFile() {
        var record = ContiguousDirectIO()
        _ = record.start(Self.access(file: 5, offset: 0), ticket: Self.ticket(1))
        #expect(record.start(Self.access(file: 6, offset: 4_096), ticket: Self.ticket(2)) == nil)
        #expect(record.start(Self.access(file: 6, registered: true, offset: 8_192), ticket: Self.ticket(3)) == nil)
        #expect(
            record.start(Self.access(file: 6, registered: true, offset: 12_288), ticket: Self.ticket(4))
                == Self.ticket(3))
    }

    @Test("reads and writes are followed apart: a copy's reads and writes each continue their own")
    func directions() {
        var record = ContiguousDirectIO()
        _ = record.start(Self.access(file: 3, offset: 0), ticket: Self.ticket(1))
        _ = record.start(Self.access(file: 4, write: true, offset: 0), ticket: Self.ticket(2))
        #expect(record.start(Self.access(file: 3, offset: 4_096), ticket: Self.ticket(3)) == Self.ticket(1))
        #expect(
            record.start(Self.access(file: 4, write: true, offset: 4_096), ticket: Self.ticket(4)) == Self.ticket(2))
        // A write does not continue a read of the same range.
        #expect(record.start(Self.access(file: 3, write: true, offset: 8_192), ticket: Self.ticket(5)) == nil)
    }
}
