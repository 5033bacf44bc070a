import ColonyCore
import ColonyEngine
import ColonyWire
import Foundation
import Synchronization

/// A group of members as the coordinator sees it through the bus: the test sets who is
/// there and how each member answers; announcements are kept for the test to read.
final class ScriptedGroup: CoordinationBus {
    typealias Answer = @Sendable (MemberRequest) async throws(StepError) -> MemberReply

    private struct State {
        var members: [InstanceID] = []
        var published: [(topic: String, body: JSONValue)] = []
    }

    private let state = Mutex(State())
    private let answer: Answer

    init(members: [InstanceID], answer: @escaping Answer = { _ throws(StepError) in MemberReply(body: .null) }) {
        self.answer = answer
        state.withLock { $0.members = members }
    }

    func setMembers(_ members: [InstanceID]) {
        state.withLock { $0.members = members }
    }

    var published: [(topic: String, body: JSONValue)] { state.withLock { $0.published } }

    func members(of group: GroupName, timeout: Duration) async -> [AgentRecord]? {
        state.withLock { $0.members }.sorted().map {
            AgentRecord(name: "member", identity: $0.rawValue, dialect: "colony", capabilities: [group.rawValue, group.rawValue + ".bid"], capacity: 1, busy: 0,
                        state: "idle", served: 0, failed: 0, pid: nil, joinedAtMilliseconds: 0, lastSeenMilliseconds: 0, instance: $0)
        }
    }

    func ask(_ request: MemberRequest) async throws(StepError) -> MemberReply {
        try await answer(request)
    }

    func publish<Value: Encodable & Sendable>(_ topic: String, _ value: Value, run: RunID?) async {
        let body = JSONValue(encoding: value)
        state.withLock { $0.published.append((topic, body)) }
    }
}

extension JSONValue {
    /// `value` as JSON.
    init(encoding value: some Encodable) {
        self.init(body: (try? JSONEncoder().encode(value)).map { Array($0) } ?? [])
    }
}

/// A member that answers after `delay` on `clock`, unless the request's timeout comes first
/// (then it times out, as the bus would say).
func answering(_ body: JSONValue, after delay: Duration, on clock: ManualClock, _ request: MemberRequest) async throws(StepError) -> MemberReply {
    do {
        try await clock.sleep(for: min(delay, request.timeout))
    } catch {
        throw StepError(code: "cancelled", message: "abandoned")
    }
    guard delay <= request.timeout else { throw StepError(code: .timeout, message: "\(request.instance) did not answer") }
    return MemberReply(body: body, agent: request.instance.rawValue)
}
