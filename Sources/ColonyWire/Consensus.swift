/// A member's vote in a consensus round.
public struct Vote: Codable, Sendable, Hashable {
    public enum Choice: String, Codable, Sendable, Hashable {
        case yes, no
    }

    public var vote: Choice
    /// An optional value the member proposes with its vote.
    public var value: JSONValue?
    /// The member's weight under the weighted rule (default 1).
    public var weight: Double?

    public init(_ vote: Choice, value: JSONValue? = nil, weight: Double? = nil) {
        self.vote = vote
        self.value = value
        self.weight = weight
    }
}

/// What a member receives: the round and the proposal (the step's params).
public struct Proposal<Body: Codable & Sendable>: Codable, Sendable {
    public var round: String
    public var group: String
    public var proposal: Body

    public init(round: String, group: String, proposal: Body) {
        self.round = round
        self.group = group
        self.proposal = proposal
    }
}
