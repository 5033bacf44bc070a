import ColonyCore
import ColonyWire
import ColonyWorkflow
import Foundation

extension Coordinator {
    /// A sync point: the step's request goes to every member of the group (addressed to each);
    /// the step succeeds as soon as `count` members (all, by default) have reported, with who
    /// reported what; fewer by the attempt's deadline fails it with `barrier_timeout`.
    public func barrier(_ order: DispatchOrder) async -> StepResult {
        guard let coordination = order.coordination else {
            return .failed(StepError(code: .internal, message: "not a barrier step"), agent: nil)
        }
        let members = await members(of: coordination.group, offering: order.capability) ?? []
        let needed = coordination.count ?? members.count
        guard !members.isEmpty, needed <= members.count else {
            return .failed(StepError(code: .barrierTimeout, message: "group \(coordination.group) has \(members.count) members; \(needed) must report"), agent: nil)
        }
        var reports: [String: JSONValue] = [:]
        await gather(from: members, capability: order.capability, body: order.input, timeout: order.timeout, order: order, attemptScoped: true) { member, reply in
            guard let reply else { return false }
            reports[member.rawValue] = reply.body
            return reports.count >= needed
        }
        let output = JSONValue.object([
            "reported": .array(reports.keys.sorted().map(JSONValue.string)),
            "reports": .object(reports),
            "needed": .number(Double(needed)),
            "members": .number(Double(members.count)),
        ])
        guard reports.count >= needed else {
            return .failed(StepError(code: .barrierTimeout, message: "\(reports.count) of \(needed) members of \(coordination.group) reported in time"), agent: nil)
        }
        return .succeeded(output: output, agent: nil)
    }
}
