/// A ROUTER routing id: the bytes ZeroMQ prepends to every message from a peer.
struct PeerID: Hashable {
    let bytes: [UInt8]

    /// Hex form for logs and the directory.
    var hex: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}
