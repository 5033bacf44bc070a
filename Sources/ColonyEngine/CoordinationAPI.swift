import ColonyWire

/// The coordinator's bus interface (`colony group show`, resignations).
public enum CoordinationAPI {
    /// Body `GroupRequest`; answers `[Leadership]` (one group, or every group known).
    public static let status = "colony.coordination.status"
    /// Body `Resignation`; answers the new `Leadership`.
    public static let resign = "colony.coordination.resign"

    public struct GroupRequest: Codable, Sendable {
        public var group: String?

        public init(group: String?) { self.group = group }
    }

    public struct Resignation: Codable, Sendable {
        public var group: String
        public var instance: String

        public init(group: String, instance: String) {
            self.group = group
            self.instance = instance
        }
    }

    public enum Codes {
        public static let notLeader = "not_leader"
    }
}
