import Testing
@_spi(URingInternals) import URing

@Suite("Opcode probing", .requiresRealRing)
struct ARingProbesItsOpcodes {
    @Test("the probe reports every opcode the runtime uses")
    func probeReportsRuntimeOpcodes() throws {
        let ring = try Ring()
        let reported = ring.probe()
        let probe = try #require(reported)
        #expect(probe.missing() == [], "kernel lacks \(probe.missing())")
        #expect(probe.supports(.read))
        #expect(probe.lastOpcode >= Opcode.shutdown.rawValue)
    }

    @Test("an opcode beyond the kernel's last is reported unsupported")
    func probeRejectsUnknownOpcode() throws {
        let ring = try Ring()
        let reported = ring.probe()
        let probe = try #require(reported)
        #expect(!probe.supports(Opcode(rawValue: 250)))
    }
}
