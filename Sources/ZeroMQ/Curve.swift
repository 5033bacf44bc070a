import CZeroMQ

/// A CURVE key pair (Curve25519), each key as its 40-character Z85 text: what ZeroMQ's CURVE
/// security mechanism authenticates and encrypts with. The secret key never leaves its owner.
public struct CurveKeyPair: Sendable, Hashable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair (libzmq's generator, backed by libsodium).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.current("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: z85Text(publicKey), secretKey: z85Text(secretKey))
    }

    /// The key pair whose secret key is `secretKey`; nil when it is not a Z85 Curve25519 key.
    public init?(secretKey: String) {
        guard Self.isKey(secretKey) else { return nil }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { return nil }
        self.init(publicKey: z85Text(publicKey), secretKey: secretKey)
    }

    /// Whether `text` is a key in Z85 (40 characters of the Z85 alphabet, 32 bytes decoded).
    public static func isKey(_ text: String) -> Bool {
        guard text.utf8.count == 40 else { return false }
        var decoded = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&decoded, text) != nil
    }

    /// Whether this machine's libzmq was built with CURVE.
    public static var isAvailable: Bool { zmq_has("curve") != 0 }
}

/// How a socket takes part in CURVE: as the server (the broker's listening sockets) or as a
/// client that knows the server's public key.
public enum CurveRole: Sendable, Hashable {
    case server(secretKey: String)
    case client(serverKey: String, keys: CurveKeyPair)
}

extension Socket {
    /// Turns CURVE on for this socket; call before bind or connect.
    public func useCurve(_ role: CurveRole) throws(ZMQError) {
        switch role {
        case .server(let secretKey):
            try setOption(ZMQ_CURVE_SERVER, 1)
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8))
        case .client(let serverKey, let keys):
            try setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverKey.utf8))
            try setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(keys.publicKey.utf8))
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey.utf8))
        }
    }

    /// Sets the ZAP domain the broker's handler sees for connections to this socket.
    public func setZAPDomain(_ domain: String) throws(ZMQError) {
        try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8))
    }
}

extension Frame {
    /// A property libzmq attached to the message this frame came in (after a ZAP handler
    /// accepted the peer, "User-Id" is what the handler said); nil when absent.
    public func metadata(_ property: String) -> String? {
        withExtendedLifetime(self) { part.metadata(property) }
    }

    /// The identity the ZAP handler gave the peer that sent this frame.
    public var userID: String? { metadata("User-Id") }
}

/// A Z85 key libzmq wrote into a 41-byte buffer: 40 ASCII characters and a terminating zero.
func z85Text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
