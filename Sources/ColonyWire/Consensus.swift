import ColonyCore

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

/// A member's answer to a call for proposals: a bid (its cost, and any fields), or a refusal.
public struct Bid: Codable, Sendable, Hashable {
    /// The price of doing the task; the lowest wins by default.
    public var cost: Double?
    /// Anything else the bidder wants to say (shown in the step's output).
    public var fields: JSONValue?
    /// Set when the member declines to bid.
    public var refuse: Bool?
    public var reason: String?

    public init(cost: Double, fields: JSONValue? = nil) {
        self.cost = cost
        self.fields = fields
    }

    /// A refusal to bid.
    public static func refusal(_ reason: String) -> Bid {
        var bid = Bid(cost: 0)
        bid.cost = nil
        bid.refuse = true
        bid.reason = reason
        return bid
    }
}

/// An auction round's award, announced to every bidder: the winner is accepted (it also gets
/// the task), everyone else is rejected.
public struct Award: Codable, Sendable, Hashable {
    public var auction: String
    public var round: Int
    public var winner: String
    public var group: String

    public init(auction: String, round: Int, winner: String, group: String) {
        self.auction = auction
        self.round = round
        self.winner = winner
        self.group = group
    }
}
