/// Event topics and broker-internal service names.
public enum Topics {
    /// Published by the broker when an agent registers.
    public static let agentJoined = "agent.joined"
    /// Published by the broker when an agent disconnects or stops heartbeating.
    public static let agentLost = "agent.lost"
    /// Published by the broker when it learns a run failed (`mmi.gate.fail`); payload `FailedRun`.
    public static let workflowFailed = "workflow.failed"
    /// Likewise for a cancelled run.
    public static let workflowCancelled = "workflow.cancelled"
    /// Likewise for a run that completed (its events are no longer fresh work).
    public static let workflowCompleted = "workflow.completed"
    /// Prefix of leadership announcements: `coordination.leader.GROUP`, payload `Leadership`.
    public static let leadershipPrefix = "coordination.leader."
    /// Renewals of an unchanged leadership (every lease/3): `coordination.lease.GROUP`, payload
    /// `Leadership`. Agents take them like announcements (a fresher expiry, a clock sample);
    /// `colony watch` and the dashboard leave them out, since nothing changed.
    public static let leaseRenewalPrefix = "coordination.lease."
    /// Prefix of auction awards: `coordination.awarded.GROUP`, payload `Award`.
    public static let awardPrefix = "coordination.awarded."
    /// Prefix of consensus decisions: `coordination.decided.GROUP`, payload the round's outcome.
    public static let decidedPrefix = "coordination.decided."
    /// Published by agents for each handler their gate skipped; payload `SkipReport`.
    public static let workflowSkipped = "workflow.skipped"
    /// A run started running (left the queue): payload a transition notice.
    public static let workflowStarted = "workflow.started"
    /// A run was paused / resumed (`colony workflow pause|resume`): payload a transition notice.
    public static let workflowPaused = "workflow.paused"
    public static let workflowResumed = "workflow.resumed"
    /// Step transitions: `step.dispatched`, `step.succeeded`, `step.failed`, `step.retrying`,
    /// `step.skipped`, `step.cancelled`; payload a transition notice (run, workflow, step,
    /// attempt, agent, instance, error code).
    public static let stepPrefix = "step."
    /// A schedule's tick was decided (started a run, buffered, skipped, missed or a duplicate);
    /// payload the tick as stored (schedule, scheduled time, outcome, reason, run).
    public static let scheduleTicked = "schedule.ticked"

    /// The topic announcing a run that ended with `status`.
    public static func runEnded(_ status: RunEnd) -> String {
        switch status {
        case .cancelled: return workflowCancelled
        case .completed: return workflowCompleted
        case .failed: return workflowFailed
        }
    }

    /// The longest subscription prefix the broker takes: libzmq keeps a subscription as a trie
    /// node per byte (~32 bytes each), so a subscriber sending a longer one is disconnected.
    public static let maximumSubscriptionPrefixBytes = 1_024

    /// Whether `pattern`'s subscription prefix is short enough for the broker to take.
    public static func fitsSubscription(_ pattern: String) -> Bool {
        subscriptionPrefix(for: pattern).utf8.count <= maximumSubscriptionPrefixBytes
    }

    /// The subscription prefix for a user's watch pattern: `workflow.*` and `workflow.`
    /// both mean "every topic under workflow.", and `*` or an empty pattern means everything.
    public static func subscriptionPrefix(for pattern: String) -> String {
        if pattern == "*" { return "" }
        if pattern.hasSuffix(".*") { return String(pattern.dropLast()) }
        if pattern.hasSuffix("*") { return String(pattern.dropLast()) }
        return pattern
    }
}

/// Services the broker answers itself (ZeroMQ RFC 8 and Colony's extensions).
public enum ManagementService {
    /// The prefix reserved for broker-internal services.
    public static let prefix = "mmi."

    /// Whether a capability name's bytes start with `prefix`: read where they lie, before any
    /// string is made (the broker asks for every request).
    @inlinable
    public static func isManagement(_ name: UnsafeRawBufferPointer) -> Bool {
        name.count >= 4 && name[0] == 0x6D && name[1] == 0x6D && name[2] == 0x69 && name[3] == 0x2E
    }
    /// RFC 8: "200" if the named service has live workers, "404" if not.
    public static let service = "mmi.service"
    /// JSON directory of agents: capabilities, idle/busy, served, last seen.
    public static let directory = "mmi.directory"
    /// JSON broker statistics: counters, queues, uptime.
    public static let stats = "mmi.stats"
    /// Body: a `FailedRun` as JSON, or a JSON array of them. The broker refuses the runs'
    /// requests from now on and answers their queued ones with `workflow_failed`.
    public static let failRun = "mmi.gate.fail"
    /// The orchestrator has re-announced every ended run it knows to this broker instance:
    /// requests of runs held back since the broker started may go.
    public static let gateSynced = "mmi.gate.synced"
    /// Body: a run id. JSON `FailedRun` if the broker knows the run ended, else `null`: agents
    /// confirm a `workflow.failed` event here before their gate acts on it (anyone can publish).
    public static let gateCheck = "mmi.gate.check"
    /// This broker instance's boot id (random, new on every start): text.
    public static let boot = "mmi.boot"
    /// JSON list of the failed runs the broker knows (for agents that start or reconnect late).
    public static let failedRuns = "mmi.gate.list"
    /// Body: a group name. JSON `GroupMembers`: agents offering that capability or in that named group.
    public static let group = "mmi.group"
    /// Body: a JSON `JournalRead`. Reply: a JSON `JournalBatch`, then each event's frames
    /// (topic, header, payload) as published: events the broker journaled, read from a cursor.
    public static let eventsRead = "mmi.events.read"
}
