import ColonyCore
import Foundation

/// One workflow the orchestrator can run.
public struct WorkflowSummary: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    /// The store's id of the current version.
    public var version: Int64
    public var fingerprint: String
    public var enabled: Bool
    public var steps: [StepID]
    public var inputs: [String]
    public var file: String
    public var line: Int
}

/// What `colony.workflow.list` answers: the runnable workflows and the problems of the others.
public struct WorkflowList: Codable, Sendable {
    public var workflows: [WorkflowSummary]
    /// Problems in the workflow files (those workflows cannot run until fixed).
    public var problems: [String]
}

