import ColonyCore
import ColonyWire
import Foundation

/// One consensus round, as a pure state machine: the electorate is fixed when the round opens;
/// votes come in (possibly late, duplicated, for another round, or from non-members); the rule
/// decides exactly once. Anything that does not count is counted by why.
public struct ConsensusRound: Sendable, Hashable, Codable {
    /// How the round decides.
    public enum Rule: Sendable, Hashable, Codable {
        /// More than half of the electorate (by weight) says yes; rejected once that cannot happen.
        case majority
        /// Every member says yes; rejected at the first no.
        case unanimous
        /// Yes weight reaches `threshold` (0…1) of the electorate's weight.
        case weighted(threshold: Double)
    }

    /// How a round ended.
    public enum Decision: String, Sendable, Hashable, Codable {
        case approved, rejected
        /// Fewer than a majority of the electorate voted by the deadline.
        case noQuorum = "no_quorum"
        /// Enough voted, but the rule could not decide by the deadline.
        case timeout
    }

    /// Why a vote did not count.
    public enum Ignored: String, Sendable, Hashable, Codable, CaseIterable {
        case late, duplicate, staleRound = "stale_round", nonMember = "non_member"
    }

    public struct Ballot: Sendable, Hashable, Codable {
        public var member: String
        public var vote: Vote
    }

    public let id: String
    public let rule: Rule
    /// The members when the round opened, with their weights.
    public let electorate: [String: Double]
    public private(set) var ballots: [Ballot] = []
    public private(set) var ignored: [Ignored: Int] = [:]
    public private(set) var decision: Decision?

    /// The member name of an empty seat of a declared electorate: a member that was absent
    /// when the round opened, who counts as not voting.
    public static func absentSeat(_ number: Int) -> String { "(absent seat \(number))" }
    public static func isAbsentSeat(_ member: String) -> Bool { member.hasPrefix("(absent seat ") }

    public init(id: String, rule: Rule, electorate: [String: Double]) {
        self.id = id
        self.rule = rule
        self.electorate = electorate
    }

    var totalWeight: Double { electorate.values.reduce(0, +) }
    var yesWeight: Double { ballots.filter { $0.vote.vote == .yes }.map { electorate[$0.member] ?? 0 }.reduce(0, +) }
    var noWeight: Double { ballots.filter { $0.vote.vote == .no }.map { electorate[$0.member] ?? 0 }.reduce(0, +) }

    /// Takes a vote for `round` from `member`; returns the decision if this vote made it.
    @discardableResult
    public mutating func receive(_ vote: Vote, from member: String, round: String) -> Decision? {
        guard round == id else { ignored[.staleRound, default: 0] += 1; return nil }
        guard electorate[member] != nil, !Self.isAbsentSeat(member) else { ignored[.nonMember, default: 0] += 1; return nil }
        guard decision == nil else { ignored[.late, default: 0] += 1; return nil }
        guard !ballots.contains(where: { $0.member == member }) else { ignored[.duplicate, default: 0] += 1; return nil }
        ballots.append(Ballot(member: member, vote: vote))
        decision = ruling(final: ballots.count == electorate.count)
        return decision
    }

    /// The deadline passed: decides now if nothing did before.
    @discardableResult
    public mutating func close() -> Decision {
        if let decision { return decision }
        let decided = ruling(final: true) ?? .timeout
        decision = decided
        return decided
    }

    /// The decision the votes so far force, if any; `final` when no more votes will come.
    private func ruling(final: Bool) -> Decision? {
        let total = totalWeight
        guard total > 0 else { return final ? .noQuorum : nil }
        switch rule {
        case .majority:
            if yesWeight > total / 2 { return .approved }
            if noWeight >= total / 2 { return .rejected }
        case .unanimous:
            if noWeight > 0 { return .rejected }
            if ballots.count == electorate.count { return .approved }
        case .weighted(let threshold):
            if yesWeight >= threshold * total { return .approved }
            if noWeight > (1 - threshold) * total { return .rejected }
        }
        guard final else { return nil }
        return ballots.count * 2 <= electorate.count ? .noQuorum : .timeout
    }

    /// The step's output: the decision, the tally, who voted how, and what did not count.
    public var outcome: JSONValue {
        .object([
            "round": .string(id),
            "decision": decision.map { .string($0.rawValue) } ?? .null,
            "tally": .object([
                "yes": .number(Double(ballots.filter { $0.vote.vote == .yes }.count)),
                "no": .number(Double(ballots.filter { $0.vote.vote == .no }.count)),
                "missing": .number(Double(electorate.count - ballots.count)),
                "electorate": .number(Double(electorate.count)),
            ]),
            "votes": .array(ballots.map { ballot in
                var fields: [String: JSONValue] = ["member": .string(ballot.member), "vote": .string(ballot.vote.vote.rawValue)]
                if let value = ballot.vote.value { fields["value"] = value }
                return .object(fields)
            }),
            "ignored": .object(Dictionary(uniqueKeysWithValues: ignored.map { ($0.key.rawValue, JSONValue.number(Double($0.value))) })),
        ])
    }
}
