import ColonyCore
import ColonyAgent
import ColonyStore
import ColonyWire
import Foundation

extension Coordinator {
    /// The instance ids of `group`'s members (those offering `capability`, when given), or nil
    /// when the broker cannot be asked.
    func members(of group: String, offering capability: String? = nil, timeout: Duration = .seconds(5)) async -> [String]? {
        guard let members = try? await client.management(ManagementService.group, argument: group, timeout: timeout)
            .decode(GroupMembers.self).members
        else { return nil }
        return members.filter { capability == nil || $0.capabilities.contains(capability!) }.compactMap(\.instance)
    }

    /// Sends `body` to `capability` of every member, addressed to each alone, and hands each
    /// answer to `take` as it arrives (nil when the request failed or timed out); `take`
    /// returning true stops waiting for the rest. With a `deadline`, `atDeadline` runs when it
    /// passes (answers may still come in after it).
    func gather(
        from members: [String], capability: String, body: JSONValue, timeout: Duration, metadata: RequestMetadata,
        deadline: Duration? = nil, atDeadline: () -> Void = {}, take: (String, Reply?) async -> Bool
    ) async {
        let client = self.client
        let bytes = Array(body.jsonText.utf8)
        await withTaskGroup(of: (String, Reply?)?.self) { tasks in
            for member in members {
                tasks.addTask {
                    (member, try? await client.request(capability, body: [bytes], timeout: timeout, metadata: metadata, instance: member))
                }
            }
            if let deadline {
                tasks.addTask {
                    try? await Task.sleep(for: deadline)
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

    /// A stored round, if the attempt already opened one.
    func storedRound(_ id: String) async -> RoundRecord? {
        try? await store.round(id)
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

extension RoundRecord {
    /// A new round of `kind` for `group`, opened now.
    init(opening id: String, kind: String, group: String) {
        self.init(id: id, kind: kind, group: group, state: "{}", decision: nil, openedAt: Date())
    }

    /// The round's state, decoded.
    func state<State: Decodable>(as type: State.Type) -> State? {
        try? JSONDecoder().decode(State.self, from: Data(state.utf8))
    }

    /// Records the round's state and, once there is one, its decision (and when it came).
    mutating func update(_ value: some Encodable, decision: String?) {
        if let encoded = try? JSONEncoder().encode(value) { state = String(decoding: encoded, as: UTF8.self) }
        self.decision = decision
        if decision != nil, decidedAt == nil { decidedAt = Date() }
    }
}
