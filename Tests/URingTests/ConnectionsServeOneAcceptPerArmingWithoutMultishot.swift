// On kernels before 5.19 the ring's ACCEPT has no multishot mode: `connections` then
// arms one single-shot ACCEPT at a time and re-arms it after each connection. Forced
// here (the kernel under test has multishot), the sequence must still hand out every
// connection in turn and end when the listener closes.

import Testing
@testable import URing

@Suite("Connections serve one accept per arming without multishot accept", .requiresIOURing)
struct ConnectionsServeOneAcceptPerArmingWithoutMultishot {
    @Test("five connections in a row, each echoed, then the end at close")
    func singleShotSequence() async throws {
        try await withRuntime { runtime in
            let listener = try TCPListener(binding: .ipv4Loopback())
            let accept = MultishotAccept(descriptor: listener.socket.descriptor, uses: listener.socket.uses, multishot: false) {
                listener.recovery.isClosing
            }
            let connections = TCPListener.Connections.Iterator(accept, recovery: listener.recovery)
            let server = Task(executorPreference: runtime.executor) {
                var served = 0
                while let connection = try await connections.next() {
                    try await TCPStreamsEchoEveryByte.echo(connection)
                    served += 1
                }
                return served
            }
            for round in 0..<5 {
                let message = randomBytes(1_000 + round)
                let echoed = try await URingRuntime.withTimeout(.seconds(20)) {
                    try await TCPStreamsEchoEveryByte.roundTrip(message, to: listener.localAddress)
                }
                #expect(echoed == message)
            }
            try await listener.close()
            #expect(try await server.value == 5)
        }
    }
}
