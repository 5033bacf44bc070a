/// How a colony secures its bus (`security:` in colony.yaml).
public struct SecuritySettings: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// CURVE on every socket; only keys of the access list get in, each within its role.
        case curve
        /// No authentication: anyone who can reach the endpoints may do anything. For local
        /// experiments and keyless MDP peers only; the broker says so when it starts.
        case none
    }

    public var mode: Mode
    /// Where the keys and the access list live.
    public var keyDirectory: String

    public init(mode: Mode = .curve, keyDirectory: String = KeyDirectory.defaultPath) {
        self.mode = mode
        self.keyDirectory = keyDirectory
    }

    public var keys: KeyDirectory { KeyDirectory(path: keyDirectory) }
}
