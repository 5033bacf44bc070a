import ColonyAgent
import ColonyCore
import ColonyEngine
import ColonyWire
import Logging

/// The coordinator's way to the bus: the broker's `mmi.group` for members, addressed requests
/// for votes, bids and tasks, and the orchestrator's publisher for announcements.
public struct BusCoordination: CoordinationBus {
    let client: ColonyClient
    let publisher: Publisher
    let logger: Logger

    public init(client: ColonyClient, publisher: Publisher, logger: Logger) {
        self.client = client
        self.publisher = publisher
        self.logger = logger
    }

    public func members(of group: GroupName, timeout: Duration) async -> [AgentRecord]? {
        do {
            return try await client.management(ManagementService.group, argument: group.rawValue, timeout: timeout).decode(GroupMembers.self).members
        } catch {
            logger.warning("cannot ask the broker for a group's members", metadata: ["group": "\(group)", "error": "\(error)"])
            return nil
        }
    }

    public func ask(_ request: MemberRequest) async throws(StepError) -> MemberReply {
        let metadata = RequestMetadata(correlationID: request.run.rawValue, step: request.step?.rawValue, attempt: request.attempt.map(UInt32.init(clamping:)),
                                       idempotencyKey: request.idempotencyKey)
        do throws(RequestError) {
            let reply = try await client.request(request.capability, body: [request.body.jsonBytes], timeout: request.timeout,
                                                 metadata: metadata, instance: request.instance.rawValue)
            return MemberReply(body: JSONValue(body: reply.bytes), agent: reply.header?.agent)
        } catch {
            throw StepError(error)
        }
    }

    public func publish<Value: Encodable & Sendable>(_ topic: String, _ value: Value, run: RunID?) async {
        do {
            try await publisher.publish(topic, value, metadata: RequestMetadata(correlationID: run?.rawValue))
        } catch {
            logger.error("cannot publish a coordination announcement", metadata: ["topic": "\(topic)", "error": "\(error)"])
        }
    }
}
