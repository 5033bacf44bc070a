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
        let header = ColonyHeader(agent: "broker", timestampMilliseconds: WallClock.nowMilliseconds())
        sendSystemEvent(topic, header: header, event)
    }
}

extension Broker {
    /// Announces a failed or cancelled run to every subscriber (agents' gates listen).
    func publishFailedRun(_ failed: FailedRun) {
        let header = ColonyHeader(correlationID: failed.run, agent: "broker", timestampMilliseconds: WallClock.nowMilliseconds())
        sendSystemEvent(Topics.runEnded(failed.status), header: header, failed)
    }

    /// Sends one of the broker's own events into the event proxy (an inproc socket that only
    /// fails when the proxy is gone, at shutdown); a failure is logged.
    private func sendSystemEvent(_ topic: String, header: ColonyHeader, _ value: some Encodable) {
        do {
            let payload = try JSONEncoder().encode(value)
            try systemEvents.send(message: [Frame(topic), Frame(header.encoded()), Frame(Array(payload))])
        } catch {
            logger.warning("cannot publish a broker event", metadata: ["topic": "\(topic)", "error": "\(error)"])
        }
    }
}
