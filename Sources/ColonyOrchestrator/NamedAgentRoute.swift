import ColonyCore
import ColonyEngine
import ColonyWire

/// Where a step with `agent: NAME` goes: an instance of an agent of that name that offers the
/// capability — the one that had the attempt before if it is still there (a re-send), else
/// the one with the most free slots (ties: the fewest served, then by instance id). Pure.
enum NamedAgentRoute {
    static func pick(_ agents: [AgentRecord], name: String, capability: String, preferred: InstanceID?) -> Result<InstanceID, StepError> {
        let offering = agents.filter { $0.capabilities.contains(capability) && $0.instance != nil }
        let named = offering.filter { $0.name == name }
        if let preferred, named.contains(where: { $0.instance == preferred }) { return .success(preferred) }
        guard let best = named.min(by: { first, second in
            (second.capacity - second.busy, first.served, first.instance!.rawValue) < (first.capacity - first.busy, second.served, second.instance!.rawValue)
        }) else {
            let others = Set(offering.map(\.name)).sorted()
            let who = others.isEmpty ? "no agent offers it" : "it is offered by \(others.joined(separator: ", "))"
            return .failure(StepError(code: .noAgent, message: "no agent named '\(name)' offers '\(capability)' (\(who))"))
        }
        return .success(best.instance!)
    }
}
