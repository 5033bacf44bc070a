import ColonyAgent
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

extension Coordinator {
    /// Runs the consensus round of one attempt of a `consensus` step: the electorate is the
    /// group's members offering the step's capability when the round opens; each gets the
    /// proposal (the step's params) addressed to it alone and answers with a `Vote` before the
    /// attempt's deadline; the rule decides. The round (electorate, every vote, the decision) is
    /// persisted as it goes and the decision before it is announced on
    /// `coordination.decided.GROUP`, so a restarted orchestrator re-announces the same decision
    /// (the attempt is re-sent with the same idempotency key, which is the round's id).
    public func consensus(_ order: DispatchOrder) async -> StepResult {
        guard let coordination = order.coordination else {
            return .failed(StepError(code: ErrorCode.internal.rawValue, message: "not a consensus step"), agent: nil)
        }
        let group = coordination.group
        var openedAt = Date()
        var round: ConsensusRound
        if let record = try? await store.round(order.idempotencyKey),
           let saved = try? JSONDecoder().decode(ConsensusRound.self, from: Data(record.state.utf8)) {
            round = saved
            openedAt = record.openedAt
        } else {
            let members = (try? await client.management(ManagementService.group, argument: group)
                .decode(GroupMembers.self).members.filter { $0.capabilities.contains(order.capability) }.compactMap(\.instance)) ?? []
            guard !members.isEmpty else {
                return .failed(StepError(code: ErrorCode.noAgent.rawValue, message: "group \(group) has no member offering \(order.capability)"), agent: nil)
            }
            let rule: ConsensusRound.Rule = switch coordination.rule {
            case .majority: .majority
            case .unanimous: .unanimous
            case .weighted: .weighted(threshold: coordination.threshold)
            }
            round = ConsensusRound(id: order.idempotencyKey, rule: rule,
                                   electorate: Dictionary(uniqueKeysWithValues: members.map { ($0, coordination.weights[$0] ?? 1) }))
            await persist(round, group: group, openedAt: openedAt)
            logger.info("consensus round opened", metadata: ["group": "\(group)", "round": "\(round.id)", "electorate": "\(members.count)"])
        }
        if round.decision == nil {
            round = await collectVotes(round, order: order, group: group, openedAt: openedAt)
        }
        let decision = round.close()
        await persist(round, group: group, openedAt: openedAt)
        let publisher = self.publisher
        let outcome = round.outcome
        try? await publisher.publish("coordination.decided." + group, outcome, metadata: RequestMetadata(correlationID: order.run))
        if var record = try? await store.round(round.id), record.announcedAt == nil {
            record.announcedAt = Date()
            try? await store.saveRound(record)
        }
        logger.notice("consensus decided", metadata: ["group": "\(group)", "round": "\(round.id)", "decision": "\(decision.rawValue)"])
        switch decision {
        case .approved, .rejected:
            return .succeeded(output: outcome, agent: nil)
        case .noQuorum, .timeout:
            return .failed(StepError(code: decision.rawValue, message: "consensus in \(group): \(decision.rawValue) — \(outcome.value(at: ["tally"])?.jsonText ?? "")"), agent: nil)
        }
    }

    /// Sends the proposal to every member that has not voted and takes votes until the rule
    /// decides or the attempt's deadline passes.
    private func collectVotes(_ start: ConsensusRound, order: DispatchOrder, group: String, openedAt: Date) async -> ConsensusRound {
        var round = start
        let body = Array(JSONValue.object([
            "round": .string(round.id), "group": .string(group), "proposal": order.input,
        ]).jsonText.utf8)
        let voted = Set(round.ballots.map(\.member))
        let client = self.client
        let metadata = RequestMetadata(correlationID: order.run, step: order.step, attempt: UInt32(order.attempt), idempotencyKey: order.idempotencyKey)
        await withTaskGroup(of: (String, Vote?).self) { tasks in
            for member in round.electorate.keys.sorted() where !voted.contains(member) {
                tasks.addTask {
                    guard let reply = try? await client.request(order.capability, body: [body], timeout: order.timeout, metadata: metadata, instance: member),
                          let vote = try? reply.decode(Vote.self)
                    else { return (member, nil) }
                    return (member, vote)
                }
            }
            for await (member, vote) in tasks {
                guard let vote else { continue }
                let decided = round.receive(vote, from: member, round: round.id)
                await persist(round, group: group, openedAt: openedAt)
                if decided != nil { tasks.cancelAll() }
            }
        }
        return round
    }

    private func persist(_ round: ConsensusRound, group: String, openedAt: Date) async {
        guard let state = try? JSONEncoder().encode(round) else { return }
        let record = RoundRecord(id: round.id, kind: "consensus", group: group, state: String(decoding: state, as: UTF8.self),
                                 decision: round.decision?.rawValue, openedAt: openedAt, decidedAt: round.decision == nil ? nil : Date())
        do {
            try await store.saveRound(record)
        } catch {
            logger.error("cannot record a consensus round", metadata: ["round": "\(round.id)", "error": "\(error)"])
        }
    }
}
