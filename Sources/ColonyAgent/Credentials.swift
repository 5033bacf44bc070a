import Foundation
import ZeroMQ

/// What an agent, a client or the CLI needs to reach a broker that requires CURVE: the
/// broker's public key and a key pair of its own (which the broker's access list must allow).
public struct Credentials: Sendable, Hashable {
    public var serverKey: String
    public var keys: CurveKeyPair

    public init(serverKey: String, publicKey: String, secretKey: String) {
        self.serverKey = serverKey
        self.keys = CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The environment variables that carry credentials (`colony up` sets them for its agents).
    public enum Variable {
        public static let serverKey = "COLONY_CURVE_SERVERKEY"
        public static let publicKey = "COLONY_CURVE_PUBLICKEY"
        public static let secretKey = "COLONY_CURVE_SECRETKEY"
    }

    /// Credentials from `COLONY_CURVE_SERVERKEY`, `COLONY_CURVE_PUBLICKEY` and
    /// `COLONY_CURVE_SECRETKEY`; nil when none is set; an error naming the variable when one is
    /// missing or not a key.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(CredentialsError) -> Credentials? {
        let names = [Variable.serverKey, Variable.publicKey, Variable.secretKey]
        let values = names.map { environment[$0].flatMap { $0.isEmpty ? nil : $0 } }
        guard values.contains(where: { $0 != nil }) else { return nil }
        for (name, value) in zip(names, values) {
            guard let value else { throw .missing(name) }
            guard CurveKeyPair.isKey(value) else { throw .notAKey(name) }
        }
        guard CurveKeyPair(secretKey: values[2]!)?.publicKey == values[1] else { throw .mismatchedPair }
        return Credentials(serverKey: values[0]!, publicKey: values[1]!, secretKey: values[2]!)
    }

    /// The credentials of this process's environment, read once; nil when it sets none or sets
    /// them wrong (`fromEnvironment()` says what is wrong; the CLI checks it at start).
    public static let ambient: Credentials? = try? fromEnvironment()

    /// A new key pair, each key as Z85 text.
    public static func generateKeyPair() throws(ZMQError) -> (publicKey: String, secretKey: String) {
        let pair = try CurveKeyPair.generate()
        return (pair.publicKey, pair.secretKey)
    }

    /// Whether `text` is a CURVE key in Z85.
    public static func isKey(_ text: String) -> Bool { CurveKeyPair.isKey(text) }

    /// The socket option set for a client of the broker.
    var curveRole: CurveRole { .client(serverKey: serverKey, keys: keys) }
}

/// Why the credentials in the environment cannot be used.
public enum CredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(String)
    case notAKey(String)
    case mismatchedPair

    public var description: String {
        switch self {
        case .missing(let name): return "\(name) is not set (CURVE needs the server key, the public key and the secret key)"
        case .notAKey(let name): return "\(name) is not a CURVE key (40 characters of Z85)"
        case .mismatchedPair: return "\(Credentials.Variable.publicKey) is not the public key of \(Credentials.Variable.secretKey)"
        }
    }
}
