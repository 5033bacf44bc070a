import ColonyAgent
import ColonyWire
import Foundation

/// `bidder`: takes part in contract-net auctions for `render`. It bids its cost
/// (`BIDDER_COST`, default 10) or refuses (`BIDDER_REFUSE=1`); if it wins, `render` takes
/// `ms` milliseconds (default 300) and says who rendered.
public enum BidderAgent {
    public static let capability = "render"

    public struct Job: Codable, Sendable {
        public var ms: Int?
    }

    public struct Rendered: Codable, Sendable {
        public var renderedBy: String
        public var cost: Double

        enum CodingKeys: String, CodingKey {
            case renderedBy = "rendered_by"
            case cost
        }
    }

    public static func make(concurrency: Int = 4) -> Agent {
        let environment = ProcessInfo.processInfo.environment
        let cost = Double(environment["BIDDER_COST"] ?? "") ?? 10
        let refuses = environment["BIDDER_REFUSE"] == "1"
        var agent = Agent(name: "bidder", concurrency: concurrency)
        agent.onBid(capability) { (_: Proposal<Job>, _) in
            refuses ? Bid.refusal("not taking work") : Bid(cost: cost)
        }
        agent.onAuctionResult { award, accepted, context in
            context.logger.info(accepted ? "bid accepted" : "bid rejected", metadata: ["auction": "\(award.auction)", "winner": "\(award.winner)"])
        }
        agent.capability(capability) { (job: Job, context) in
            try await Task.sleep(for: .milliseconds(job.ms ?? 300))
            return Rendered(renderedBy: context.instance, cost: cost)
        }
        return agent
    }
}
