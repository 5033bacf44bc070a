import ColonyAgent
import ColonyEngine
import ColonyWire
import Logging
import ServiceLifecycle

/// Publishes the engine's stored transitions on the bus, in order: a run that starts running
/// as `workflow.started`, step changes as `step.<status>` (its end comes from the failure gate
/// as `workflow.completed|failed|cancelled`), and the scheduler's decided ticks as
/// `schedule.ticked`. Dashboards and `colony watch 'step.*'` follow runs live from these; nothing
/// depends on them for correctness, so a full buffer drops the oldest.
public struct TransitionEvents: Service {
    /// What waits to be published.
    enum Outgoing: Sendable {
        case transition(TransitionNotice)
        case tick(TickNotice)
    }

    /// Events not yet published, at most this many (about 2 MiB).
    static let capacity = 10_000
    let outgoing: AsyncStream<Outgoing>
    let continuation: AsyncStream<Outgoing>.Continuation
    let publisher: Publisher
    let logger: Logger

    public init(publisher: Publisher, logger: Logger) {
        (outgoing, continuation) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingNewest(Self.capacity))
        self.publisher = publisher
        self.logger = logger
    }

    /// What the engine calls with each stored batch.
    public func observe(_ batch: [TransitionNotice]) {
        for notice in batch { continuation.yield(.transition(notice)) }
    }

    /// What the scheduler calls with each stored tick.
    public func observe(tick: TickNotice) {
        continuation.yield(.tick(tick))
    }

    /// The topic a notice goes out on, if any.
    static func topic(of notice: TransitionNotice) -> String? {
        guard notice.step != nil else {
            switch (notice.from, notice.to) {
            case ("pending", "running"): return Topics.workflowStarted
            case ("running", "paused"): return Topics.workflowPaused
            case ("paused", "running"): return Topics.workflowResumed
            default: return nil
            }
        }
        switch notice.to {
        case "dispatched", "waiting", "succeeded", "failed", "retrying", "skipped", "cancelled": return Topics.stepPrefix + notice.to
        default: return nil
        }
    }

    public func run() async {
        await withGracefulShutdownHandler {
            for await event in outgoing {
                do {
                    switch event {
                    case .transition(let notice):
                        guard let topic = Self.topic(of: notice) else { continue }
                        try await publisher.publish(topic, notice, metadata: RequestMetadata(correlationID: notice.run.rawValue, step: notice.step?.rawValue))
                    case .tick(let tick):
                        try await publisher.publish(Topics.scheduleTicked, tick, metadata: RequestMetadata(correlationID: tick.run?.rawValue))
                    }
                } catch {
                    logger.debug("cannot publish an event", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
