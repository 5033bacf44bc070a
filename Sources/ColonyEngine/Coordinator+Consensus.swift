import ColonyCore
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

extension Coordinator {
    /// Runs the consensus round of one attempt of a `consensus` step: the electorate is what
    /// the step (or the orchestrator, for the group) declares: N seats taken by the members
    /// offering the step's capability when the round opens, the rest absent; a list of
    /// instances; or, by explicit choice, whoever is live. Each present member gets the
    /// proposal (the step's params) addressed to it alone and answers with a `Vote` before the
    /// attempt's deadline; absent members count as not voting; the rule decides. The round (electorate, every vote, the decision) is
    /// persisted as it goes and the decision before it is announced on
    /// `coordination.decided.GROUP`, so a restarted orchestrator re-announces the same decision
    /// (the attempt is re-sent with the same idempotency key, which is the round's id).
    public func consensus(_ order: DispatchOrder) async -> StepResult {
        guard let coordination = order.coordination else {
            return .failed(StepError(code: .internal, message: "not a consensus step"), agent: nil)
        }
        let group = coordination.group
        var record: RoundRecord
        var round: ConsensusRound
        if let stored = await storedRound(order.idempotencyKey), let saved = state(of: stored, as: ConsensusRound.self) {
            record = stored
            round = saved
        } else {
            let members = await members(of: group, offering: order.capability) ?? []
            guard let declared = coordination.electorate ?? declaredElectorates[group].map(StepCoordination.Electorate.size) else {
                return .failed(StepError(code: .noElectorate, message: "consensus in \(group) has no declared electorate: add 'electorate: N' "
                                         + "(or a list of instances, or 'live') to the step, or declare the group in agents.yaml or orchestrator.electorates"), agent: nil)
            }
            let present = members.map(\.rawValue)
            let seats: [String]
            switch declared {
            case .live: seats = present
            case .members(let listed): seats = listed.map(\.rawValue)
            case .size(let size):
                if members.count > size {
                    logger.warning("more members than declared seats; all present members vote", metadata: [
                        "group": "\(group)", "seats": "\(size)", "members": "\(members.count)",
                    ])
                }
                seats = present + (0..<max(0, size - members.count)).map { ConsensusRound.absentSeat($0 + 1) }
            }
            guard !seats.isEmpty else {
                return .failed(StepError(code: .noAgent, message: "group \(group) has no member offering \(order.capability)"), agent: nil)
            }
            let rule: ConsensusRound.Rule = switch coordination.rule {
            case .majority: .majority
            case .unanimous: .unanimous
            case .weighted: .weighted(threshold: coordination.threshold)
            }
            round = ConsensusRound(id: order.idempotencyKey, rule: rule,
                                   electorate: Dictionary(uniqueKeysWithValues: seats.map { ($0, coordination.weights[InstanceID($0)] ?? 1) }))
            record = RoundRecord(opening: round.id, kind: "consensus", group: group, at: clock.now)
            update(&record, round, decision: nil)
            await save(record)
            logger.info("consensus round opened", metadata: [
                "group": "\(group)", "round": "\(round.id)", "electorate": "\(seats.count)", "present": "\(members.count)",
            ])
        }
        if round.decision == nil {
            let voted = Set(round.ballots.map(\.member))
            let voters = round.electorate.keys.sorted().filter { !voted.contains($0) && !ConsensusRound.isAbsentSeat($0) }.map { InstanceID($0) }
            await gather(from: voters, capability: order.capability,
                         body: .object(["round": .string(round.id), "group": .string(group.rawValue), "proposal": order.input]),
                         timeout: order.timeout, order: order, attemptScoped: true) { member, reply in
                guard let vote = reply?.decode(Vote.self) else { return false }
                let decided = round.receive(vote, from: member.rawValue, round: round.id)
                update(&record, round, decision: round.decision?.rawValue)
                await save(record)
                return decided != nil
            }
        }
        let decision = round.close()
        update(&record, round, decision: decision.rawValue)
        await save(record)
        let outcome = round.outcome
        await bus.publish(Topics.decidedPrefix + group.rawValue, outcome, run: order.run)
        if record.announcedAt == nil {
            record.announcedAt = clock.now
            await save(record)
        }
        logger.notice("consensus decided", metadata: ["group": "\(group)", "round": "\(round.id)", "decision": "\(decision.rawValue)"])
        switch decision {
        case .approved, .rejected:
            return .succeeded(output: outcome, agent: nil)
        case .noQuorum, .timeout:
            return .failed(StepError(code: ErrorCode(decision.rawValue), message: "consensus in \(group): \(decision.rawValue) — \(outcome.value(at: ["tally"])?.jsonText ?? "")"), agent: nil)
        }
    }
}
