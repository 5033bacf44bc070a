import ZeroMQ

/// A ROUTER routing id: the bytes ZeroMQ prepends to every message from a peer. Ids of up to
/// 16 bytes (libzmq makes 5-byte ones) are held inline: reading one from a message allocates
/// nothing and hashing it is two words, on the routing thread's every message. Longer ids (a
/// peer may choose up to 255 bytes) keep their bytes in an array.
struct PeerID: Hashable {
    private var head: UInt64 = 0
    private var tail: UInt64 = 0
    private var length: UInt8 = 0
    private var long: [UInt8]?

    init(_ raw: UnsafeRawBufferPointer) {
        guard raw.count <= 16 else {
            long = Array(raw)
            length = UInt8(clamping: raw.count)
            return
        }
        length = UInt8(raw.count)
        withUnsafeMutableBytes(of: &head) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(8)))
        }
        if raw.count > 8 {
            withUnsafeMutableBytes(of: &tail) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.dropFirst(8)))
            }
        }
    }

    init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { PeerID($0) }
    }

    /// The routing id of the peer that sent the message `part` opens.
    init(part: MessagePart) {
        self = part.withUnsafeBytes { PeerID($0) }
    }

    /// The id's bytes, without copying them (to send a message to the peer).
    func withUnsafeBytes<Value, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Value) throws(Failure) -> Value {
        let result: Result<Value, Failure>
        if let long {
            result = long.withUnsafeBytes { raw in Result { () throws(Failure) -> Value in try body(raw) } }
        } else {
            var words = (head, tail)
            let count = Int(length)
            result = Swift.withUnsafeBytes(of: &words) { raw in
                Result { () throws(Failure) -> Value in try body(UnsafeRawBufferPointer(rebasing: raw.prefix(count))) }
            }
        }
        return try result.get()
    }

    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// One word for an inline id (its length is in its high byte, where libzmq's 5-byte ids have
    /// none), instead of the four fields one by one.
    func hash(into hasher: inout Hasher) {
        if let long {
            hasher.combine(long)
        } else {
            hasher.combine(inlineWord)
        }
    }

    /// What `Dictionary` and `Set` hash an id by (the standard library's hook for types that hash
    /// faster than through `Hasher`): for an inline id, its word mixed with the table's seed by a
    /// multiply-xorshift bijection (murmur3's finalizer), ~10 instructions where `Hasher`'s SipHash
    /// was ~200, at every reply and every queued request on the routing thread (and twice more per
    /// request with CURVE). The seed is random per process and per table, so a peer choosing its
    /// routing ids cannot aim them at one bucket; the tables keyed by id are bounded in count too.
    func _rawHashValue(seed: Int) -> Int {
        if let long {
            var hasher = Hasher()
            hasher.combine(seed)
            hasher.combine(long)
            return hasher.finalize()
        }
        var mixed = inlineWord ^ UInt64(truncatingIfNeeded: seed)
        mixed ^= mixed >> 33
        mixed &*= 0xFF51_AFD7_ED55_8CCD
        mixed ^= mixed >> 33
        mixed &*= 0xC4CE_B9FE_1A85_EC53
        mixed ^= mixed >> 33
        return Int(truncatingIfNeeded: mixed)
    }

    /// An inline id's bytes and length in one word: distinct for distinct 5-byte libzmq ids, and
    /// rarely equal for others (`==` tells those apart).
    private var inlineWord: UInt64 { head ^ (tail &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(length) << 56) }

    /// Hex form for logs and the directory.
    var hex: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}
