import ColonyCore
import ColonyEngine
import ColonySchedule
import ColonyStore
import Foundation

/// The scheduler's bus interface (`colony schedule …`, `colony queue`).
public enum ScheduleAPI {
    public static let list = "colony.schedule.list"
    public static let pause = "colony.schedule.pause"
    public static let resume = "colony.schedule.resume"
    public static let trigger = "colony.schedule.trigger"
    public static let add = "colony.schedule.add"
    public static let remove = "colony.schedule.remove"
    public static let ticks = "colony.schedule.ticks"
    /// Runs waiting for admission and steps waiting for resources.
    public static let queue = "colony.queue.list"

    public struct QueueReply: Codable, Sendable {
        public var runs: [Engine.QueuedRun]
        public var steps: [Engine.ResourceWait]
        /// Named resources with their capacity and current holders (absent from older orchestrators).
        public var resources: [Engine.ResourceHolding]?
        /// Paused runs: they keep their slots (absent from older orchestrators).
        public var paused: [Engine.PausedRun]?
    }

    public typealias Summary = ScheduleSummary

    public struct ListReply: Codable, Sendable {
        public var schedules: [Summary]
    }

    /// Names a schedule (pause, resume, trigger, remove).
    public struct Target: Codable, Sendable {
        public var name: String
        public var reason: String?

        public init(name: String, reason: String? = nil) {
            self.name = name
            self.reason = reason
        }
    }

    public struct TicksRequest: Codable, Sendable {
        public var schedule: String?
        public var limit: Int?

        public init(schedule: String?, limit: Int?) {
            self.schedule = schedule
            self.limit = limit
        }
    }

    public struct TicksReply: Codable, Sendable {
        public var ticks: [TickRecord]
    }

    public enum Codes {
        public static let unknownSchedule = "unknown_schedule"
        public static let invalidSchedule = "invalid_schedule"
    }
}
