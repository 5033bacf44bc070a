import ColonyWire
import Foundation
import ZeroMQ

extension Broker {
    /// XSUB → XPUB: every published event goes to the subscribers whose prefix matches.
    func forwardEvents() {
        var frames: [Frame] = []
        for _ in 0..<512 {
            guard (try? eventsIn.receiveMessage(into: &frames)) == true else { return }
            if (try? eventsOut.send(message: frames)) == true {
                statistics.eventsForwarded += 1
            }
        }
    }

    /// XPUB → XSUB: subscriptions travel upstream so publishers' sockets filter early.
    func forwardSubscriptions() {
        var frames: [Frame] = []
        for _ in 0..<512 {
            guard (try? eventsOut.receiveMessage(into: &frames)) == true else { return }
            if (try? eventsIn.send(message: frames)) == true {
                statistics.subscriptionsForwarded += 1
            }
        }
    }

    /// Publishes an `agent.joined` / `agent.lost` event to subscribers.
    func publishSystemEvent(_ topic: String, agent worker: Worker, reason: String?) {
        let event = AgentEvent(
            agent: worker.name, identity: worker.id.hex, capabilities: worker.services.map(\.name),
            pid: worker.processID, reason: reason
        )
        guard let payload = try? JSONEncoder().encode(event) else { return }
        let header = ColonyHeader(agent: "broker", timestampMilliseconds: WallClock.nowMilliseconds())
        let frames = [Frame(topic), Frame(header.encoded()), Frame(Array(payload))]
        _ = try? eventsOut.send(message: frames)
    }
}
