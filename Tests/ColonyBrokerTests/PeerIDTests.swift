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

    /// The hash tables keyed by id use `_rawHashValue(seed:)`: equal ids hash alike under a seed,
    /// and the ids libzmq hands out (a zero byte, then a counter) spread over a table's buckets
    /// as random values would (4,096 of them fill ~2,590 of 4,096 buckets), where a hash that
    /// kept only some of the bits would pile them up.
    @Test func idsLibzmqHandsOutSpreadOverATablesBuckets() {
        let ids = (0..<4096).map { counter -> PeerID in
            PeerID(bytes: [0] + withUnsafeBytes(of: UInt32(counter).bigEndian, Array.init))
        }
        for seed in [0, 1, 0x5A5A_5A5A, -1] {
            #expect(ids[7]._rawHashValue(seed: seed) == PeerID(bytes: ids[7].bytes)._rawHashValue(seed: seed))
            let buckets = Set(ids.map { $0._rawHashValue(seed: seed) & 4095 })
            #expect(buckets.count > 2_400, "seed \(seed): \(buckets.count) buckets")
        }
        #expect(ids[1]._rawHashValue(seed: 1) != ids[1]._rawHashValue(seed: 2))
        let long = PeerID(bytes: Array(repeating: 7, count: 40))
        #expect(long._rawHashValue(seed: 3) == PeerID(bytes: long.bytes)._rawHashValue(seed: 3))
        var table: [PeerID: Int] = [:]
        for (index, id) in ids.enumerated() { table[id] = index }
        #expect(ids.indices.allSatisfy { table[ids[$0]] == $0 })
    }
}
