import ColonyCore
import ColonyStore
import Foundation

/// The event triggers' bus interface (`colony trigger list|log`).
public enum TriggerAPI {
    public static let list = "colony.trigger.list"
    public static let log = "colony.trigger.log"

    /// A workflow's trigger as declared, with its firings by outcome (over the kept ones).
    public struct Trigger: Codable, Sendable {
        public var workflow: String
        public var event: String
        public var when: String?
        public var dedupe: String?
        public var enabled: Bool
        public var counts: [String: Int]
        public var last: FiringRecord?
    }

    public struct ListReply: Codable, Sendable {
        public var triggers: [Trigger]
    }

    public struct LogRequest: Codable, Sendable {
        public var workflow: String?
        public var limit: Int?

        public init(workflow: String? = nil, limit: Int? = nil) {
            self.workflow = workflow
            self.limit = limit
        }
    }

    public struct LogReply: Codable, Sendable {
        public var firings: [FiringRecord]
    }
}
