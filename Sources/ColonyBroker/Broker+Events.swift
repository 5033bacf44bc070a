import ColonyWire
import Foundation
import ColonyCore
import ZeroMQ

extension Broker {
    /// Publishes an `agent.joined` / `agent.lost` event through the event proxy.
    func publishSystemEvent(_ topic: String, agent worker: Worker, reason: String?) {
        let event = AgentEvent(
            agent: worker.name, identity: worker.id.hex, capabilities: worker.services.map(\.name),
            pid: worker.processID, reason: reason
        )
        guard let payload = try? JSONEncoder().encode(event) else { return }
        let header = ColonyHeader(agent: "broker", timestampMilliseconds: WallClock.nowMilliseconds())
        _ = try? systemEvents.send(message: [Frame(topic), Frame(header.encoded()), Frame(Array(payload))])
    }
}

extension Broker {
    /// Announces a failed or cancelled run to every subscriber (agents' gates listen).
    func publishFailedRun(_ failed: FailedRun) {
        guard let payload = try? JSONEncoder().encode(failed) else { return }
        let topic = Topics.runEnded(failed.status)
        let header = ColonyHeader(correlationID: failed.run, agent: "broker", timestampMilliseconds: WallClock.nowMilliseconds())
        _ = try? systemEvents.send(message: [Frame(topic), Frame(header.encoded()), Frame(Array(payload))])
    }
}
