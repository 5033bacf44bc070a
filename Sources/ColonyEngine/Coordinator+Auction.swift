import ColonyCore
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

/// An auction's rounds and the task's result, persisted as one round record.
struct AuctionState: Codable, Sendable {
    var rounds: [AuctionRound] = []
    var result: JSONValue?
}

extension Coordinator {
    /// Runs the contract-net auction of one attempt of an `auction` step: a call for proposals
    /// (`CAPABILITY.bid`, the step's params) to every member, addressed to each; bids until the
    /// deadline (later ones are rejected as late); the best bid wins (lowest cost unless
    /// `prefer: highest`; ties to the lowest instance id); the award is persisted, then announced
    /// on `coordination.awarded.GROUP`; the winner does the task (`CAPABILITY`). If it fails or
    /// times out, a new round runs without it, up to `rounds` rounds. No bids: `no_bids`.
    public func auction(_ order: DispatchOrder) async -> StepResult {
        guard let coordination = order.coordination else {
            return .failed(StepError(code: .internal, message: "not an auction step"), agent: nil)
        }
        let group = coordination.group
        var record = await storedRound(order.idempotencyKey) ?? RoundRecord(opening: order.idempotencyKey, kind: "auction", group: group, at: clock.now)
        var state = self.state(of: record, as: AuctionState.self) ?? AuctionState()
        if let result = state.result, let winner = state.rounds.last?.winner {
            return .succeeded(output: auctionOutput(state, winner: winner, result: result), agent: winner)
        }
        var excluded = Set(state.rounds.compactMap { $0.taskFailure == nil ? nil : $0.winner })
        while true {
            // The run was cancelled (or the orchestrator stops): no new round, nothing to store.
            if Task.isCancelled { return .failed(StepError(code: .cancelled, message: "the auction's attempt was abandoned"), agent: nil) }
            var round: AuctionRound
            if let last = state.rounds.last, last.winner != nil, last.taskFailure == nil {
                round = last
            } else {
                guard state.rounds.count < coordination.maxRounds else {
                    update(&record, state, decision: "failed")
                    await save(record)
                    return .failed(StepError(code: .auctionFailed, message: "every winner of \(state.rounds.count) rounds failed the task"), agent: nil)
                }
                let members = (await members(of: group, offering: order.capability + ".bid") ?? []).map(\.rawValue).filter { !excluded.contains($0) }
                round = await collectBids(AuctionRound(index: state.rounds.count + 1, members: members,
                                                       preference: coordination.preferHighest ? .highest : .lowest),
                                          order: order, group: group, deadline: coordination.bidDeadline)
                state.rounds.append(round)
                update(&record, state, decision: round.winner == nil ? "no_bids" : nil)
                await save(record)
                guard let winner = round.winner else {
                    logger.notice("auction: no bids", metadata: ["group": "\(group)", "round": "\(round.index)"])
                    return .failed(StepError(code: .noBids, message: "no member of \(group) bid (round \(round.index): \(round.members.count) asked)"), agent: nil)
                }
                let award = Award(auction: order.idempotencyKey, round: round.index, winner: winner, group: group.rawValue)
                await bus.publish(Topics.awardPrefix + group.rawValue, award, run: order.run)
                record.announcedAt = clock.now
                await save(record)
                logger.notice("auction awarded", metadata: ["group": "\(group)", "round": "\(round.index)", "winner": "\(winner)"])
            }
            let winner = round.winner!
            let task = MemberRequest(capability: order.capability, instance: InstanceID(winner), body: order.input, timeout: order.timeout,
                                     run: order.run, step: order.step, attempt: order.attempt,
                                     idempotencyKey: "\(order.idempotencyKey)/round-\(round.index)")
            do {
                let reply = try await bus.ask(task)
                let result = reply.body
                state.result = result
                update(&record, state, decision: "awarded")
                await save(record)
                return .succeeded(output: auctionOutput(state, winner: winner, result: result), agent: reply.agent)
            } catch {
                if Task.isCancelled { return .failed(StepError(code: .cancelled, message: "the auction's attempt was abandoned"), agent: nil) }
                state.rounds[state.rounds.count - 1].taskFailure = "\(error)"
                excluded.insert(winner)
                update(&record, state, decision: nil)
                await save(record)
                logger.warning("auction winner failed the task; running a new round without it", metadata: [
                    "group": "\(group)", "round": "\(round.index)", "winner": "\(winner)", "error": "\(error)",
                ])
            }
        }
    }

    /// Asks every member for a bid; closes the round at the deadline and counts what comes
    /// after it (within a short grace) as late.
    private func collectBids(_ start: AuctionRound, order: DispatchOrder, group: GroupName, deadline: Duration) async -> AuctionRound {
        var round = start
        await gather(from: round.members.map { InstanceID($0) }, capability: order.capability + ".bid",
                     body: .object(["round": .string("\(order.idempotencyKey)#\(round.index)"), "group": .string(group.rawValue), "proposal": order.input]),
                     timeout: deadline + .milliseconds(300), order: order, attemptScoped: false,
                     deadline: deadline, atDeadline: { round.close() }) { member, reply in
            if let bid = reply?.decode(Bid.self) { round.receive(bid, from: member.rawValue) }
            return false
        }
        round.close()
        return round
    }

    private func auctionOutput(_ state: AuctionState, winner: String, result: JSONValue) -> JSONValue {
        .object(["winner": .string(winner), "result": result, "rounds": .array(state.rounds.map(\.summary))])
    }
}
