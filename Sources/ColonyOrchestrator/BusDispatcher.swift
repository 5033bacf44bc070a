import ColonyCore
import ColonyAgent
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
import Metrics

/// Dispatches attempts as capability requests through the broker. Each request carries the
/// run as correlation id, the step, the attempt and its idempotency key; a failed or
/// cancelled run is announced to the broker's failure gate (`mmi.gate.fail`), and so is a
/// completed one (its events are no longer fresh work for agents).
public struct BusDispatcher: StepDispatcher {
    let client: ColonyClient
    let logger: Logger
    /// Serves coordinated steps (leaders, consensus rounds).
    let coordinator: Coordinator?

    public init(client: ColonyClient, logger: Logger, coordinator: Coordinator? = nil) {
        self.client = client
        self.logger = logger
        self.coordinator = coordinator
    }

    public func dispatch(_ order: DispatchOrder, dispatched: @escaping @Sendable (InstanceID) -> Void) async -> StepResult {
        let metadata = RequestMetadata(
            correlationID: order.run.rawValue, step: order.step.rawValue, attempt: UInt32(order.attempt), idempotencyKey: order.idempotencyKey
        )
        var leadership: Leadership?
        if let coordination = order.coordination {
            guard let coordinator else {
                return .failed(StepError(code: .internal, message: "coordinated step without a coordinator"), agent: nil)
            }
            switch coordination.mode {
            case .consensus: return await coordinator.consensus(order)
            case .auction: return await coordinator.auction(order)
            case .barrier: return await coordinator.barrier(order)
            case .leaderFollower:
                let current: Leadership?
                do {
                    current = try await coordinator.leader(of: coordination.group)
                } catch {
                    return .failed(StepError(code: .storeError, message: "cannot read the leadership of \(coordination.group): \(error)"), agent: nil)
                }
                guard let current, current.leader != nil else {
                    return .failed(StepError(code: .noLeader, message: "group \(coordination.group) has no leader (no member connected?)"), agent: nil)
                }
                leadership = current
            }
        }
        var instance = leadership?.leader
        if let agent = order.agent {
            // One directory read per attempt of a named-agent step: the broker routes by capability.
            let directory: Directory
            do {
                directory = try await client.directory()
            } catch {
                return .failed(StepError(error), agent: nil)
            }
            switch NamedAgentRoute.pick(directory.agents, name: agent, capability: order.capability, preferred: order.preferredInstance) {
            case .success(let chosen): instance = chosen
            case .failure(let error): return .failed(error, agent: nil)
            }
        }
        do throws(RequestError) {
            let reply = try await client.request(order.capability, body: [order.input.jsonBytes], timeout: order.timeout,
                                                 metadata: metadata, instance: instance?.rawValue, leadership: leadership,
                                                 preferredInstance: order.preferredInstance?.rawValue,
                                                 dispatched: { dispatched(InstanceID($0)) })
            return .succeeded(output: JSONValue(body: reply.bytes), agent: Self.describe(reply.header))
        } catch {
            return .failed(StepError(error), agent: nil)
        }
    }

    /// Who served an attempt, as the attempt records it: `agent@instance`, and whether it ran
    /// again after the agent that first had it was lost.
    static func describe(_ header: ColonyHeader?) -> String? {
        guard let header, let agent = header.agent else { return nil }
        var text = header.instance.map { "\(agent)@\($0)" } ?? agent
        if let lost = header.redeliveredAfterLossOf { text += " (re-executed after agent loss: \(lost))" }
        return text
    }

    public func runEnded(_ run: RunID, status: RunStatus, error: StepError?) async {
        guard let end = RunEnd(status) else { return }
        let failed = FailedRun(run: run, status: end, error: error, at: Date())
        do {
            let body = String(decoding: try JSONEncoder().encode(failed), as: UTF8.self)
            let started = ContinuousClock.now
            _ = try await client.management(ManagementService.failRun, argument: body)
            // From the stored end to the broker holding the gate (and publishing it to agents).
            Metrics.Timer(label: "colony_gate_propagation_seconds", dimensions: [("status", end.rawValue)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(Int64(clamping: (ContinuousClock.now - started).nanosecondsClamped))
        } catch {
            logger.error("cannot tell the broker that a run ended", metadata: ["correlation": "\(run)", "error": "\(error)"])
        }
    }

    public func isOffered(_ capability: String) async -> Bool? {
        do {
            return try await client.management(ManagementService.service, argument: capability).text == "200"
        } catch {
            logger.debug("cannot ask the broker whether a capability is offered", metadata: ["capability": "\(capability)", "error": "\(error)"])
            return nil
        }
    }
}

extension StepError {
    /// The step error a failed request stands for.
    init(_ error: RequestError) {
        switch error {
        case .noAgent(let capability, let message): self.init(code: .noAgent, message: "\(capability): \(message)")
        case .timedOut(let capability, let message): self.init(code: .timeout, message: "\(capability): \(message)")
        case .brokerUnreachable(let endpoint): self.init(code: .brokerUnreachable, message: "broker unreachable at \(endpoint)")
        case .failed(let wire): self.init(code: wire.code, message: wire.message)
        case .invalidInput(let message): self.init(code: .badRequest, message: message)
        case .invalidReply(let message): self.init(code: .invalidReply, message: message)
        case .cancelled: self.init(code: .cancelled, message: "the request was abandoned")
        }
    }
}
