import ColonyCore
import ColonyWorkflow
import Foundation

/// One workflow the orchestrator can run.
public struct WorkflowSummary: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    /// The current content's number among the workflow's stored versions (1, 2, …).
    public var version: Int64
    public var fingerprint: String
    public var enabled: Bool
    public var steps: [StepID]
    public var inputs: [String]
    public var file: String
    public var line: Int
    /// The steps (and failure handlers) with what each depends on, to draw the graph.
    public var graph: [StepNode]?

    /// One node of a workflow's graph.
    public struct StepNode: Codable, Sendable, Hashable {
        public var id: StepID
        /// The capability it asks, or nil for a child workflow step.
        public var capability: String?
        /// The child workflow it runs, if it runs one.
        public var workflow: String?
        public var dependsOn: [StepID]
        /// Whether it is a failure handler (it runs only when a step fails).
        public var handler: Bool
    }
}

/// What `colony.workflow.list` answers: the runnable workflows and the problems of the others.
public struct WorkflowList: Codable, Sendable {
    public var workflows: [WorkflowSummary]
    /// Problems in the workflow files (those workflows cannot run until fixed).
    public var problems: [String]
}


extension WorkflowSummary.StepNode {
    init(_ step: StepDefinition, handler: Bool) {
        self.init(id: step.id, capability: step.childWorkflow == nil ? step.capability : nil, workflow: step.childWorkflow,
                  dependsOn: step.dependsOn, handler: handler)
    }
}
