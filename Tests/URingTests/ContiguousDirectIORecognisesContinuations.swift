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

    @Test("a request that begins where the previous one ended continues it; the first and a gap do not")
    func continuation() {
        var record = ContiguousDirectIO()
        #expect(record.start(Self.access(offset: 0), ticket: Self.ticket(1)) == nil)
        #expect(record.start(Self.access(offset: 4_096, length: 8_192), ticket: Self.ticket(2)) == Self.ticket(1))
        #expect(record.start(Self.access(offset: 12_288), ticket: Self.ticket(3)) == Self.ticket(2))
        // A gap, then a request that continues the one after the gap, not the one before.
        #expect(record.start(Self.access(offset: 65_536), ticket: Self.ticket(4)) == nil)
        #expect(record.start(Self.access(offset: 16_384), ticket: Self.ticket(5)) == nil)
        #expect(record.start(Self.access(offset: 20_480), ticket: Self.ticket(6)) == Self.ticket(5))
        // Going backwards is not a continuation.
        #expect(record.start(Self.access(offset: 16_384), ticket: Self.ticket(7)) == nil)
    }

    @Test("another file, or the same number naming a registered slot, is not a continuation")
    func otherFile() {
        var record = ContiguousDirectIO()
        _ = record.start(Self.access(file: 5, offset: 0), ticket: Self.ticket(1))
        #expect(record.start(Self.access(file: 6, offset: 4_096), ticket: Self.ticket(2)) == nil)
        #expect(record.start(Self.access(file: 6, registered: true, offset: 8_192), ticket: Self.ticket(3)) == nil)
        #expect(record.start(Self.access(file: 6, registered: true, offset: 12_288), ticket: Self.ticket(4)) == Self.ticket(3))
    }

    @Test("reads and writes are followed apart: a copy's reads and writes each continue their own")
    func directions() {
        var record = ContiguousDirectIO()
        _ = record.start(Self.access(file: 3, offset: 0), ticket: Self.ticket(1))
        _ = record.start(Self.access(file: 4, write: true, offset: 0), ticket: Self.ticket(2))
        #expect(record.start(Self.access(file: 3, offset: 4_096), ticket: Self.ticket(3)) == Self.ticket(1))
        #expect(record.start(Self.access(file: 4, write: true, offset: 4_096), ticket: Self.ticket(4)) == Self.ticket(2))
        // A write does not continue a read of the same range.
        #expect(record.start(Self.access(file: 3, write: true, offset: 8_192), ticket: Self.ticket(5)) == nil)
    }
}
