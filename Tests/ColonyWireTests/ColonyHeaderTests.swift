import ColonyCore
import ColonyWire
import Testing

@Suite struct ColonyHeaderTests {
    @Test func roundTripsEveryField() throws {
        let header = ColonyHeader(
            requestID: 1 << 40, correlationID: "run-42", step: "fetch", attempt: 3, idempotencyKey: "run-42/fetch/3",
            deadlineMilliseconds: 1_800_000_000_123, status: .error, errorCode: .timeout, errorMessage: "slow ✓",
            agent: "math", capabilities: ["math.add", "math.mul"], capacity: 16, processID: 4242,
            timestampMilliseconds: 99, capability: "math.add"
        )
        var withSkips = header
        withSkips.skippedForFailedRuns = 3
        withSkips.skippedForCancelledRuns = 1
        #expect(try ColonyHeader(decoding: withSkips.encoded()) == withSkips)
        let decoded = try ColonyHeader(decoding: header.encoded())
        #expect(decoded == header)
        #expect(decoded.error == WireError(.timeout, "slow ✓"))
    }

    @Test func emptyHeaderIsJustTheMagic() throws {
        #expect(ColonyHeader().encoded() == ColonyHeader.magic)
        #expect(try ColonyHeader(decoding: ColonyHeader.magic) == ColonyHeader())
    }

    @Test func recognisesHeadersByMagicOnly() {
        #expect(ColonyHeader.isHeader(ColonyHeader(requestID: 1).encoded()))
        #expect(!ColonyHeader.isHeader(Array("{\"a\":1}".utf8)))
        #expect(!ColonyHeader.isHeader([0xC0, 0x43, 0x4C]))
        #expect(!ColonyHeader.isHeader([UInt8]()))
    }

    @Test func skipsUnknownTags() throws {
        var bytes = ColonyHeader(correlationID: "x").encoded()
        bytes += [200, 3, 1, 2, 3]
        #expect(try ColonyHeader(decoding: bytes).correlationID == "x")
    }

    @Test func rejectsTruncatedAndInvalidHeaders() {
        let full = ColonyHeader(correlationID: "abcdef").encoded()
        #expect(throws: HeaderDecodingError.self) { try ColonyHeader(decoding: Array(full.dropLast())) }
        #expect(throws: HeaderDecodingError.missingMagic) { try ColonyHeader(decoding: [1, 2, 3, 4]) }
        #expect(throws: HeaderDecodingError.invalidUTF8(tag: 2)) {
            try ColonyHeader(decoding: ColonyHeader.magic + [2, 1, 0xFF])
        }
        #expect(throws: HeaderDecodingError.invalidValue(tag: 7)) {
            try ColonyHeader(decoding: ColonyHeader.magic + [7, 1, 9])
        }
    }

    /// Random bytes after the magic must decode or throw, never crash or hang.
    @Test func randomBytesNeverCrashTheDecoder() {
        var generator = SplitMix64(seed: 7)
        var decoded = 0
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 40)
            let bytes = ColonyHeader.magic + (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if (try? ColonyHeader(decoding: bytes)) != nil { decoded += 1 }
        }
        #expect(decoded > 0)
    }

    @Test func errorBodiesAreJSON() {
        let body = WireError(.noAgent, "no \"agent\"\n").jsonBody
        #expect(String(decoding: body, as: UTF8.self) == #"{"error":{"code":"no_agent","message":"no \"agent\"\n"}}"#)
    }
}

/// A small deterministic generator so randomized tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
