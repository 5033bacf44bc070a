import ColonyAgent
import ColonyWire
import ColonyWorkflow
import Foundation

extension Coordinator {
    /// A sync point: the step's request goes to every member of the group (addressed to each);
    /// the step succeeds as soon as `count` members (all, by default) have reported, with who
    /// reported what; fewer by the attempt's deadline fails it with `barrier_timeout`.
    public func barrier(_ order: DispatchOrder) async -> StepResult {
        guard let coordination = order.coordination else {
            return .failed(StepError(code: ErrorCode.internal.rawValue, message: "not a barrier step"), agent: nil)
        }
        let members = (try? await client.management(ManagementService.group, argument: coordination.group)
            .decode(GroupMembers.self).members.filter { $0.capabilities.contains(order.capability) }.compactMap(\.instance)) ?? []
        let needed = coordination.count ?? members.count
        guard !members.isEmpty, needed <= members.count else {
            return .failed(StepError(code: "barrier_timeout", message: "group \(coordination.group) has \(members.count) members; \(needed) must report"), agent: nil)
        }
        let client = self.client
        let body = [Array(order.input.jsonText.utf8)]
        let metadata = RequestMetadata(correlationID: order.run, step: order.step, attempt: UInt32(order.attempt), idempotencyKey: order.idempotencyKey)
        var reports: [String: JSONValue] = [:]
        await withTaskGroup(of: (String, JSONValue?).self) { tasks in
            for member in members {
                tasks.addTask {
                    let reply = try? await client.request(order.capability, body: body, timeout: order.timeout, metadata: metadata, instance: member)
                    return (member, reply.map { JSONValue(body: $0.bytes) })
                }
            }
            for await (member, report) in tasks {
                guard let report else { continue }
                reports[member] = report
                if reports.count >= needed { tasks.cancelAll() }
            }
        }
        let output = JSONValue.object([
            "reported": .array(reports.keys.sorted().map(JSONValue.string)),
            "reports": .object(reports),
            "needed": .number(Double(needed)),
            "members": .number(Double(members.count)),
        ])
        guard reports.count >= needed else {
            return .failed(StepError(code: "barrier_timeout", message: "\(reports.count) of \(needed) members of \(coordination.group) reported in time"), agent: nil)
        }
        return .succeeded(output: output, agent: nil)
    }
}
