import ColonyAgent
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
            return .failed(StepError(code: ErrorCode.internal.rawValue, message: "not an auction step"), agent: nil)
        }
        let group = coordination.group
        let openedAt = (try? await store.round(order.idempotencyKey))?.openedAt ?? Date()
        var state = (try? await store.round(order.idempotencyKey)).flatMap {
            try? JSONDecoder().decode(AuctionState.self, from: Data($0.state.utf8))
        } ?? AuctionState()
        if let result = state.result, let winner = state.rounds.last?.winner {
            return .succeeded(output: auctionOutput(state, winner: winner, result: result), agent: winner)
        }
        var excluded = Set(state.rounds.compactMap { $0.taskFailure == nil ? nil : $0.winner })
        while true {
            var round: AuctionRound
            if let last = state.rounds.last, last.winner != nil, last.taskFailure == nil {
                round = last
            } else {
                guard state.rounds.count < coordination.maxRounds else {
                    await save(state, id: order.idempotencyKey, group: group, openedAt: openedAt, decision: "failed")
                    return .failed(StepError(code: "auction_failed", message: "every winner of \(state.rounds.count) rounds failed the task"), agent: nil)
                }
                let members = (try? await client.management(ManagementService.group, argument: group)
                    .decode(GroupMembers.self).members.filter { $0.capabilities.contains(order.capability + ".bid") }
                    .compactMap(\.instance).filter { !excluded.contains($0) }) ?? []
                round = await collectBids(AuctionRound(index: state.rounds.count + 1, members: members,
                                                       preference: coordination.preferHighest ? .highest : .lowest),
                                          order: order, group: group, deadline: coordination.bidDeadline)
                state.rounds.append(round)
                await save(state, id: order.idempotencyKey, group: group, openedAt: openedAt, decision: round.winner == nil ? "no_bids" : nil)
                guard let winner = round.winner else {
                    logger.notice("auction: no bids", metadata: ["group": "\(group)", "round": "\(round.index)"])
                    return .failed(StepError(code: "no_bids", message: "no member of \(group) bid (round \(round.index): \(round.members.count) asked)"), agent: nil)
                }
                let award = Award(auction: order.idempotencyKey, round: round.index, winner: winner, group: group)
                try? await publisher.publish(Topics.awardPrefix + group, award, metadata: RequestMetadata(correlationID: order.run))
                logger.notice("auction awarded", metadata: ["group": "\(group)", "round": "\(round.index)", "winner": "\(winner)"])
            }
            let winner = round.winner!
            let metadata = RequestMetadata(correlationID: order.run, step: order.step, attempt: UInt32(order.attempt),
                                           idempotencyKey: "\(order.idempotencyKey)/round-\(round.index)")
            do {
                let reply = try await client.request(order.capability, body: [Array(order.input.jsonText.utf8)], timeout: order.timeout,
                                                     metadata: metadata, instance: winner)
                let result = JSONValue(body: reply.bytes)
                state.result = result
                await save(state, id: order.idempotencyKey, group: group, openedAt: openedAt, decision: "awarded")
                return .succeeded(output: auctionOutput(state, winner: winner, result: result), agent: reply.header?.agent)
            } catch {
                state.rounds[state.rounds.count - 1].taskFailure = "\(error)"
                excluded.insert(winner)
                await save(state, id: order.idempotencyKey, group: group, openedAt: openedAt, decision: nil)
                logger.warning("auction winner failed the task; running a new round without it", metadata: [
                    "group": "\(group)", "round": "\(round.index)", "winner": "\(winner)", "error": "\(error)",
                ])
            }
        }
    }

    /// Asks every member for a bid; closes the round at the deadline and counts what comes
    /// after it (within a short grace) as late.
    private func collectBids(_ start: AuctionRound, order: DispatchOrder, group: String, deadline: Duration) async -> AuctionRound {
        var round = start
        let body = Array(JSONValue.object([
            "round": .string("\(order.idempotencyKey)#\(round.index)"), "group": .string(group), "proposal": order.input,
        ]).jsonText.utf8)
        let client = self.client
        let grace = Duration.milliseconds(300)
        await withTaskGroup(of: (String, Bid?)?.self) { tasks in
            for member in round.members {
                tasks.addTask {
                    guard let reply = try? await client.request(order.capability + ".bid", body: [body], timeout: deadline + grace,
                                                                metadata: RequestMetadata(correlationID: order.run), instance: member)
                    else { return (member, nil) }
                    return (member, try? reply.decode(Bid.self))
                }
            }
            tasks.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            for await answer in tasks {
                guard let (member, bid) = answer else {
                    round.close()
                    continue
                }
                if let bid { round.receive(bid, from: member) }
            }
        }
        round.close()
        return round
    }

    private func auctionOutput(_ state: AuctionState, winner: String, result: JSONValue) -> JSONValue {
        .object(["winner": .string(winner), "result": result, "rounds": .array(state.rounds.map(\.summary))])
    }

    private func save(_ state: AuctionState, id: String, group: String, openedAt: Date, decision: String?) async {
        guard let text = try? JSONEncoder().encode(state) else { return }
        let record = RoundRecord(id: id, kind: "auction", group: group, state: String(decoding: text, as: UTF8.self),
                                 decision: decision, openedAt: openedAt, decidedAt: decision == nil ? nil : Date())
        do {
            try await store.saveRound(record)
        } catch {
            logger.error("cannot record an auction", metadata: ["auction": "\(id)", "error": "\(error)"])
        }
    }
}
