import ColonyCore
import ColonyWire
import Foundation

/// One round of a contract-net auction, pure: bids arrive until the deadline; then the best
/// on-time bid wins (lowest cost by default, highest with `.highest`), ties going to the lowest
/// instance id; no on-time bid is NO_BIDS. Late, duplicate and non-member bids are refused and
/// counted.
public struct AuctionRound: Sendable, Hashable, Codable {
    public enum Preference: String, Sendable, Hashable, Codable {
        case lowest, highest
    }

    public enum Outcome: Sendable, Hashable, Codable {
        case awarded(String)
        case noBids
    }

    public struct Offer: Sendable, Hashable, Codable {
        public var member: String
        public var bid: Bid
    }

    public let index: Int
    public let members: [String]
    public let preference: Preference
    public private(set) var offers: [Offer] = []
    public private(set) var refusals: [String: String] = [:]
    public private(set) var late: [String] = []
    public private(set) var ignored = 0
    public private(set) var outcome: Outcome?
    /// What the winner's task came to: nil while it runs.
    public var taskFailure: String?

    public init(index: Int, members: [String], preference: Preference) {
        self.index = index
        self.members = members.sorted()
        self.preference = preference
    }

    /// Takes an answer; after `close()` every bid is late.
    public mutating func receive(_ bid: Bid, from member: String) {
        guard members.contains(member), !offers.contains(where: { $0.member == member }), refusals[member] == nil else {
            ignored += 1
            return
        }
        guard outcome == nil else {
            late.append(member)
            return
        }
        if bid.refuse == true || bid.cost == nil {
            refusals[member] = bid.reason ?? "refused"
        } else {
            offers.append(Offer(member: member, bid: bid))
        }
    }

    /// The deadline passed: picks the winner.
    @discardableResult
    public mutating func close() -> Outcome {
        if let outcome { return outcome }
        let ranked = offers.sorted { left, right in
            let (a, b) = (left.bid.cost ?? .infinity, right.bid.cost ?? .infinity)
            if a != b { return preference == .lowest ? a < b : a > b }
            return left.member < right.member
        }
        let decided: Outcome = ranked.first.map { .awarded($0.member) } ?? .noBids
        outcome = decided
        return decided
    }

    public var winner: String? {
        if case .awarded(let member)? = outcome { return member }
        return nil
    }

    /// This round in the step's output.
    public var summary: JSONValue {
        var fields: [String: JSONValue] = [
            "round": .number(Double(index)),
            "bids": .array(offers.map { offer in
                var bid: [String: JSONValue] = ["member": .string(offer.member), "cost": offer.bid.cost.map(JSONValue.number) ?? .null]
                if let extra = offer.bid.fields { bid["fields"] = extra }
                return .object(bid)
            }),
            "refused": .object(refusals.mapValues(JSONValue.string)),
            "late": .array(late.map(JSONValue.string)),
            "winner": winner.map(JSONValue.string) ?? .null,
        ]
        if let taskFailure { fields["task_failure"] = .string(taskFailure) }
        return .object(fields)
    }
}
