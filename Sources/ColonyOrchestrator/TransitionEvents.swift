import ColonyAgent
import ColonyEngine
import ColonyWire
import Logging
import ServiceLifecycle

/// Publishes the engine's stored transitions on the bus, in order: a run that starts running
/// as `workflow.started`, step changes as `step.<status>` (its end comes from the failure gate
/// as `workflow.completed|failed|cancelled`). Dashboards and `colony watch 'step.*'` follow runs
/// live from these; nothing depends on them for correctness, so a full buffer drops the oldest.
public struct TransitionEvents: Service {
    /// Notices not yet published, at most this many (about 2 MiB).
    static let capacity = 10_000
    let notices: AsyncStream<TransitionNotice>
    let continuation: AsyncStream<TransitionNotice>.Continuation
    let publisher: Publisher
    let logger: Logger

    public init(publisher: Publisher, logger: Logger) {
        (notices, continuation) = AsyncStream.makeStream(of: TransitionNotice.self, bufferingPolicy: .bufferingNewest(Self.capacity))
        self.publisher = publisher
        self.logger = logger
    }

    /// What the engine calls with each stored batch.
    public func observe(_ batch: [TransitionNotice]) {
        for notice in batch { continuation.yield(notice) }
    }

    /// The topic a notice goes out on, if any.
    static func topic(of notice: TransitionNotice) -> String? {
        guard notice.step != nil else { return notice.to == "running" ? Topics.workflowStarted : nil }
        switch notice.to {
        case "dispatched", "succeeded", "failed", "retrying", "skipped", "cancelled": return Topics.stepPrefix + notice.to
        default: return nil
        }
    }

    public func run() async {
        await withGracefulShutdownHandler {
            for await notice in notices {
                guard let topic = Self.topic(of: notice) else { continue }
                do {
                    try await publisher.publish(topic, notice, metadata: RequestMetadata(correlationID: notice.run.rawValue, step: notice.step?.rawValue))
                } catch {
                    logger.debug("cannot publish a transition", metadata: ["topic": "\(topic)", "error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
