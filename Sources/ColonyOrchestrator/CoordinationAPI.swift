import ColonyCore
import ColonyEngine
import ColonyWire
import Foundation

/// The coordinator's bus interface (`colony group show`, resignations).
public enum CoordinationAPI {
    /// Body `GroupRequest`; answers `[Leadership]` (one group, or every group known).
    public static let status = "colony.coordination.status"
    /// Body `Resignation`; answers the new `Leadership`.
    public static let resign = "colony.coordination.resign"
    /// Body `GroupRequest` (group required); answers `[Decision]`, newest first.
    public static let decisions = "colony.coordination.decisions"

    /// A consensus round or auction of a group, as `colony group show` lists it.
    public struct Decision: Codable, Sendable {
        public var round: String
        public var kind: String
        public var decision: String?
        public var openedAt: Date
        public var decidedAt: Date?
        public var announced: Bool
    }

    public struct GroupRequest: Codable, Sendable {
        public var group: GroupName?

        public init(group: GroupName?) { self.group = group }
    }

    public struct Resignation: Codable, Sendable {
        public var group: GroupName
        public var instance: InstanceID

        public init(group: GroupName, instance: InstanceID) {
            self.group = group
            self.instance = instance
        }
    }

    public enum Codes {
        public static let notLeader = "not_leader"
    }
}
