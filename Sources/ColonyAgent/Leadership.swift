import ColonyCore
import ColonyWire

/// A change of leadership as one agent sees it.
public enum LeadershipChange: Sendable, Hashable {
    /// This agent now leads `group` under `term`.
    case became(group: GroupName, term: UInt64)
    /// This agent led `group` and no longer does (`leader` leads now, under `term`).
    case lost(group: GroupName, leader: InstanceID?, term: UInt64)
    /// Another agent leads `group` under `term`.
    case follows(group: GroupName, leader: InstanceID?, term: UInt64)
}

/// The newest leadership of each group this agent has heard of, and what each announcement
/// means to it. Terms only grow: an older announcement changes nothing.
struct LeadershipTracker {
    let instance: InstanceID
    private(set) var latest: [GroupName: Leadership] = [:]

    init(instance: InstanceID) {
        self.instance = instance
    }

    /// Takes an announcement; returns the change it makes for this agent, if any.
    mutating func note(_ leadership: Leadership) -> LeadershipChange? {
        let previous = latest[leadership.group]
        if let previous, leadership.term < previous.term { return nil }
        latest[leadership.group] = leadership
        if let previous, previous.term == leadership.term, previous.leader == leadership.leader { return nil }
        if leadership.leader == instance { return .became(group: leadership.group, term: leadership.term) }
        if previous?.leader == instance {
            return .lost(group: leadership.group, leader: leadership.leader, term: leadership.term)
        }
        return .follows(group: leadership.group, leader: leadership.leader, term: leadership.term)
    }

    /// Whether a request sent under `term` for `group` is stale (a newer term is known).
    func isStale(term: UInt64, group: GroupName) -> Bool {
        guard let known = latest[group] else { return false }
        return term < known.term
    }
}
