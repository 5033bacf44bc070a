import ColonyCore
import ColonyStore
import ColonyWire
import Foundation

extension Coordinator {
    /// The instance ids of `group`'s members (those offering `capability`, when given), or nil
    /// when the broker cannot be asked.
    func members(of group: GroupName, offering capability: String? = nil, timeout: Duration = .seconds(5)) async -> [InstanceID]? {
        guard let members = await bus.members(of: group, timeout: timeout) else { return nil }
        return members.filter { capability.map($0.capabilities.contains) ?? true }.compactMap(\.instance)
    }

    /// Sends `body` to `capability` of every member, addressed to each alone, and hands each
    /// answer to `take` as it arrives (nil when the request failed or timed out: the member
    /// did not answer); `take` returning true stops waiting for the rest. With a `deadline`,
    /// `atDeadline` runs when it passes (answers may still come in after it).
    func gather(
        from members: [InstanceID], capability: String, body: JSONValue, timeout: Duration, order: DispatchOrder, attemptScoped: Bool,
        deadline: Duration? = nil, atDeadline: () -> Void = {}, take: (InstanceID, MemberReply?) async -> Bool
    ) async {
        let bus = self.bus, clock = self.clock, logger = self.logger
        await withTaskGroup(of: (InstanceID, MemberReply?)?.self) { tasks in
            for member in members {
                let request = MemberRequest(
                    capability: capability, instance: member, body: body, timeout: timeout, run: order.run,
                    step: attemptScoped ? order.step : nil, attempt: attemptScoped ? order.attempt : nil,
                    idempotencyKey: attemptScoped ? order.idempotencyKey : nil
                )
                tasks.addTask {
                    do {
                        return (member, try await bus.ask(request))
                    } catch {
                        logger.debug("member did not answer", metadata: ["member": "\(member)", "capability": "\(capability)", "error": "\(error)"])
                        return (member, nil)
                    }
                }
            }
            if let deadline {
                tasks.addTask {
                    // Cancelled only when every answer is in: the deadline is moot then.
                    try? await clock.sleep(for: deadline)
                    return nil
                }
            }
            for await answer in tasks {
                guard let (member, reply) = answer else {
                    atDeadline()
                    continue
                }
                if await take(member, reply) { tasks.cancelAll() }
            }
        }
    }

    /// A stored round, if the attempt already opened one; nil (a new round) when the store
    /// cannot be read, which is logged.
    func storedRound(_ id: String) async -> RoundRecord? {
        do {
            return try await store.round(id)
        } catch {
            logger.error("cannot read a coordination round; opening it anew", metadata: ["round": "\(id)", "error": "\(error)"])
            return nil
        }
    }

    /// Writes a round; a failure is logged (the round goes on in memory).
    func save(_ record: RoundRecord) async {
        do {
            try await store.saveRound(record)
        } catch {
            logger.error("cannot record a coordination round", metadata: ["round": "\(record.id)", "kind": "\(record.kind)", "error": "\(error)"])
        }
    }
}

extension Coordinator {
    /// A stored round's state, or nil when it holds none of that kind (logged: the round then
    /// starts over).
    func state<State: Decodable>(of record: RoundRecord, as type: State.Type) -> State? {
        do {
            return try JSONDecoder().decode(State.self, from: Data(record.state.utf8))
        } catch {
            logger.error("a stored coordination round cannot be read; it starts over", metadata: ["round": "\(record.id)", "error": "\(error)"])
            return nil
        }
    }

    /// Records the round's state in `record` and, once there is one, its decision (and when it
    /// came). A state that cannot be encoded is logged and the previous one kept.
    func update(_ record: inout RoundRecord, _ value: some Encodable, decision: String?) {
        do {
            record.state = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            logger.error("cannot encode a coordination round", metadata: ["round": "\(record.id)", "error": "\(error)"])
        }
        record.decision = decision
        if decision != nil, record.decidedAt == nil { record.decidedAt = clock.now }
    }
}

extension RoundRecord {
    /// A new round of `kind` for `group`, opened at `openedAt`.
    init(opening id: String, kind: String, group: GroupName, at openedAt: Date) {
        self.init(id: id, kind: kind, group: group, state: "{}", decision: nil, openedAt: openedAt)
    }
}
