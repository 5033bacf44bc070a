import ColonyCore
import ColonyAgent
import ColonyWire
import Foundation

/// `voter`: takes part in consensus rounds on `approve.vote`. It approves a proposal whose
/// `amount` is at most its limit (`VOTER_LIMIT`, default 100) and proposes its limit as the
/// value. Run several replicas to have a group to vote.
public enum VoterAgent {
    public static let capability = "approve.vote"

    public static func make(concurrency: Int = 8, limit: Double = Double(ProcessInfo.processInfo.environment["VOTER_LIMIT"] ?? "") ?? 100) -> Agent {
        var agent = Agent(name: "voter", concurrency: concurrency)
        agent.onVote(capability) { (proposal: Proposal<JSONValue>, context) in
            let amount: Double = if case .number(let value)? = proposal.proposal.value(at: ["amount"]) { value } else { .infinity }
            context.logger.info("voting", metadata: ["round": "\(proposal.round)", "amount": "\(amount)", "limit": "\(limit)"])
            return Vote(amount <= limit ? .yes : .no, value: .number(limit))
        }
        return agent
    }
}
