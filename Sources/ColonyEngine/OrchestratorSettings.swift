import ColonyCore
import Foundation

/// Where the orchestrator keeps its state and finds workflow definitions.
public struct OrchestratorSettings: Sendable, Hashable {
    /// The SQLite database file (created if missing).
    public var database = ".colony/colony.sqlite"
    /// Workflow files and directories.
    public var workflows = ["configs/workflows.yaml", "configs/workflows"]
    /// The time limit of an attempt whose step declares no `timeout`.
    public var defaultStepTimeout: Duration = .seconds(300)
    /// How long the active orchestrator's lease lasts without renewal; a standby one on the same
    /// database takes over this long after the active one stops renewing.
    public var lease: Duration = .seconds(5)
    /// On SIGTERM, how long attempts in flight may take to finish before the rest is left resumable.
    public var shutdownGrace: Duration = .seconds(10)
    /// How long a group's leader keeps leading after it stops being seen (leader-follower).
    public var leaderLease: Duration = .seconds(3)
    /// Runs in progress at once; more wait in the queue.
    public var maxConcurrentRuns = 5
    /// Runs waiting in the queue at most (`orchestrator.max_queued_runs`).
    public var maxQueuedRuns = 10_000
    /// Named resources steps may hold (`resources: [gpu-1]`) and how many holders each allows.
    public var resources: [String: Int] = [:]
    /// Declared consensus electorates: group → seats (`electorates: {voters: 5}`). `colony up`
    /// adds the replicas of agents.yaml groups not declared here.
    public var electorates: [GroupName: Int] = [:]

    /// These settings with `groupSizes` as electorates for the groups not declared already.
    public func declaring(_ groupSizes: [GroupName: Int]) -> OrchestratorSettings {
        var settings = self
        settings.electorates.merge(groupSizes) { declared, _ in declared }
        return settings
    }

    public init() {}
}
