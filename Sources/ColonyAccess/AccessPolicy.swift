/// What each role may do, as pure decisions the broker asks about every message. Reserved
/// names: capabilities `colony.*` (the orchestrator's and the supervisor's) and `mmi.*` (the
/// broker's); topics `workflow.*`, `step.*`, `schedule.*`, `coordination.*` and `agent.*` (what agents obey or trust).
public enum AccessPolicy {
    static let reservedCapabilities = ["colony.*", "mmi.*"]
    static let reservedTopics = ["workflow.*", "step.*", "schedule.*", "coordination.*", "agent.*"]
    /// Capabilities of the supervisor's bus interface, offered by `colony up` under the
    /// orchestrator's key.
    static let orchestratorCapabilities = ["colony.*"]
    /// The orchestrator's capabilities a client may use: runs, and reading schedules and the queue.
    static let clientColonyCapabilities = ["colony.workflow.*", "colony.queue.list", "colony.schedule.list", "colony.schedule.ticks",
                                              "colony.trigger.list", "colony.trigger.log"]
    /// Topics agents publish about their own work and the failure gate lets them.
    static let agentReportTopics = ["workflow.skipped"]

    /// Whether `entry` may offer `capability` (register a worker for it).
    public static func mayOffer(_ capability: String, _ entry: AccessEntry) -> Bool {
        guard !entry.revoked else { return false }
        switch entry.role {
        case .orchestrator:
            return true
        case .agent:
            guard !NamePattern.matches(capability, any: reservedCapabilities) else { return false }
            return entry.offers.isEmpty || NamePattern.matches(capability, any: entry.offers)
        case .operator, .client:
            return false
        }
    }

    /// Whether `entry` may send a request to `capability` (`mmi.*` included).
    public static func mayRequest(_ capability: String, _ entry: AccessEntry) -> Bool {
        guard !entry.revoked else { return false }
        if capability.hasPrefix("mmi.gate.") && capability != "mmi.gate.list" && capability != "mmi.gate.check" {
            // Telling the gate that runs ended (or are in sync) is the orchestrator's alone.
            return entry.role == .orchestrator
        }
        switch entry.role {
        case .orchestrator, .operator, .agent:
            return true
        case .client:
            if capability.hasPrefix("mmi.") { return true }
            // Clients start, follow and cancel runs; steering schedules, groups and agents is
            // for operators.
            let workflowAPI = NamePattern.matches(capability, any: clientColonyCapabilities)
            if NamePattern.matches(capability, any: reservedCapabilities) && !workflowAPI { return false }
            return entry.requests.isEmpty || NamePattern.matches(capability, any: entry.requests)
        }
    }

    /// Whether `entry` may publish on `topic`.
    public static func mayPublish(_ topic: String, _ entry: AccessEntry) -> Bool {
        guard !entry.revoked else { return false }
        switch entry.role {
        case .orchestrator, .operator:
            return true
        case .agent:
            if NamePattern.matches(topic, any: agentReportTopics) { return true }
            guard !NamePattern.matches(topic, any: reservedTopics) else { return false }
            return entry.publishes.isEmpty || NamePattern.matches(topic, any: entry.publishes)
        case .client:
            return false
        }
    }
}
