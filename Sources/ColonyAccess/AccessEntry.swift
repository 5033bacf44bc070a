import ColonyCore

/// One key allowed on the bus: who it is, its CURVE public key, its role and, for agents and
/// clients, which names it may use.
public struct AccessEntry: Sendable, Hashable {
    /// A name for people and logs ("operator", "math-1"); also the peer's identity in the broker.
    public var name: String
    /// The CURVE public key (Z85, 40 characters).
    public var publicKey: String
    public var role: Role
    /// Capability patterns an agent may offer (`billing.*`, or exact names); empty: any name
    /// that is not reserved.
    public var offers: [String]
    /// Capability patterns a client may request; empty: any.
    public var requests: [String]
    /// Topic patterns an agent may publish; empty: any topic that is not reserved.
    public var publishes: [String]
    /// A revoked key is refused on its next connection; its live one gets no further service.
    public var revoked: Bool

    public init(name: String, publicKey: String, role: Role, offers: [String] = [], requests: [String] = [],
                publishes: [String] = [], revoked: Bool = false) {
        self.name = name
        self.publicKey = publicKey
        self.role = role
        self.offers = offers
        self.requests = requests
        self.publishes = publishes
        self.revoked = revoked
    }
}

/// Matching names against patterns: `prefix.*` matches the prefix's names at any depth, `*`
/// everything, anything else itself only.
public enum NamePattern {
    public static func matches(_ name: String, _ pattern: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix(".*") { return name.hasPrefix(pattern.dropLast()) }
        return name == pattern
    }

    /// Whether `name` matches one of `patterns`.
    public static func matches(_ name: String, any patterns: [String]) -> Bool {
        patterns.contains { matches(name, $0) }
    }
}
