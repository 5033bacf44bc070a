import Testing

@testable import ColonyBroker

/// Routing ids held inline (up to 16 bytes) or in an array (longer): the same bytes are the
/// same peer, any other bytes another one, and the bytes come back as they went in — up to
/// 255 bytes (the most ZeroMQ allows) and beyond.
@Suite struct PeerIDTests {
    @Test func idsOfEveryLengthRoundTripAndDifferFromEachOther() {
        var seen: [PeerID: [UInt8]] = [:]
        for length in Array(0...40) + [254, 255, 300] {
            for fill: UInt8 in length == 0 ? [0] : [0, 0x5A, 0xFF] {
                let bytes = [UInt8](repeating: fill, count: length)
                let id = PeerID(bytes: bytes)
                #expect(id.bytes == bytes, "length \(length)")
                #expect(id == PeerID(bytes: bytes))
                #expect(seen[id] == nil, "\(bytes) collides with \(seen[id] ?? [])")
                seen[id] = bytes
            }
        }
        // The same first 16 bytes, then a difference: not the same peer.
        #expect(PeerID(bytes: Array(0..<17)) != PeerID(bytes: Array(0..<16) + [99]))
        #expect(PeerID(bytes: [0, 0, 0, 0, 0]).hex == "0000000000")
    }
}
