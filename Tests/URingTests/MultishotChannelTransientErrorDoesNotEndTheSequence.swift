// A multishot operation that ends with a transient error (an accept's EMFILE) does not
// end its channel: the consumer gets `.interrupted` once, after what is buffered, and
// its next `next()` arms the operation again. Which accept errors count as transient
// is pinned too. Values only, no ring.

import Glibc
import Testing
@testable import URing

@Suite("A transient error interrupts a multishot channel without ending it")
struct MultishotChannelTransientErrorDoesNotEndTheSequence {
    typealias Channel = MultishotChannel<Int32, Int>
    let ticket = SlotTicket(index: 1, generation: 1)

    @Test("a waiting consumer is resumed with .interrupted and its next next() re-arms")
    func waitingConsumer() {
        var channel = Channel()
        _ = channel.next()
        _ = channel.arming(ticket)
        guard case .suspended = channel.wait(1) else { return #expect(Bool(false)) }
        guard case .resume(1, .interrupted(let error)) = channel.finish(last: nil, failure: Errno.tooManyOpenFiles, transient: true) else {
            return #expect(Bool(false), "the waiter must be resumed with .interrupted")
        }
        #expect(error as? Errno == .tooManyOpenFiles)
        guard case .wait(arm: true) = channel.next() else { return #expect(Bool(false), "the next next() must arm again") }
        _ = channel.arming(ticket)
        guard case .suspended = channel.wait(2) else { return #expect(Bool(false)) }
        guard case .resume(2, .element(40)) = channel.deliver(40) else { return #expect(Bool(false)) }
    }

    @Test("with elements buffered, they come first, then .interrupted once, then a re-arm")
    func bufferedFirst() {
        var channel = Channel()
        _ = channel.next()
        _ = channel.arming(ticket)
        _ = channel.deliver(30)
        guard case .none = channel.finish(last: nil, failure: Errno.noMemory, transient: true) else { return #expect(Bool(false)) }
        guard case .ready(.element(30)) = channel.next() else { return #expect(Bool(false)) }
        guard case .ready(.interrupted) = channel.next() else { return #expect(Bool(false), "the interruption comes after the buffer") }
        guard case .wait(arm: true) = channel.next() else { return #expect(Bool(false), "reported once, then a re-arm") }
    }

    @Test("a non-transient error still ends the sequence")
    func fatalEnds() {
        var channel = Channel()
        _ = channel.next()
        _ = channel.arming(ticket)
        guard case .none = channel.finish(last: nil, failure: Errno.badFileDescriptor) else { return #expect(Bool(false)) }
        guard case .ready(.failure) = channel.next() else { return #expect(Bool(false)) }
        guard case .ready(.end) = channel.next() else { return #expect(Bool(false)) }
    }

    @Test("accept errors: exhaustion, aborted connections, EPERM and EINTR are transient; programming errors and non-errno errors are not")
    func classification() {
        for code in [EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED, EPROTO, EPERM, EINTR, ENETDOWN, EHOSTUNREACH] {
            #expect(AcceptFailure.isTransient(Errno(rawValue: code)), "errno \(code)")
        }
        for code in [EBADF, EINVAL, ENOTSOCK, EOPNOTSUPP] {
            #expect(!AcceptFailure.isTransient(Errno(rawValue: code)), "errno \(code)")
        }
        #expect(!AcceptFailure.isTransient(URingError.closed))
        #expect(!AcceptFailure.isTransient(URingError.shutdown))
        #expect(!AcceptFailure.isTransient(CancellationError()))
    }
}
