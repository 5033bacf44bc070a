import ColonyAgent
import Foundation
import Logging

/// One event as an API stream sends it.
struct StreamedEvent: Sendable {
    var id: UInt64
    var topic: String
    /// `{"topic","run","workflow","at","data"}`: the event with its run named.
    var json: String
}

/// Which events a stream wants: all, or those of one workflow or run, or of some topic prefixes.
struct EventFilter: Sendable {
    var workflow: String?
    var run: String?
    var topics: [String] = []

    func admits(topic: String, run: String?, workflow: String?) -> Bool {
        if let wanted = self.run, wanted != run { return false }
        if let wanted = self.workflow, wanted != workflow { return false }
        return topics.isEmpty || topics.contains { topic.hasPrefix($0) }
    }
}

/// Fans the bus's run, step, agent and coordination events out to the API's event streams
/// (`GET /api/v1/events`). Bounded: at most `maxStreams` streams, each buffering at most
/// `bufferPerStream` events (a stream that cannot keep up loses its oldest), and a run →
/// workflow table of `maxRunsRemembered` for filtering events that do not name their workflow.
actor EventHub {
    static let topics = ["workflow.", "step.", "schedule.", "agent.", "coordination."]
    static let maxStreams = 100
    static let bufferPerStream = 1_000
    static let maxRunsRemembered = 10_000

    private struct Stream {
        let filter: EventFilter
        let continuation: AsyncStream<StreamedEvent>.Continuation
    }

    private var streams: [UInt64: Stream] = [:]
    private var nextStream: UInt64 = 0
    private var nextEvent: UInt64 = 0
    private var workflows: [String: String] = [:]
    private var workflowOrder: [String] = []
    private let logger: Logger
    private var closed = false

    init(logger: Logger) {
        self.logger = logger
    }

    /// A new stream of the events `filter` admits; nil when `maxStreams` are open or the
    /// server is shutting down.
    func open(_ filter: EventFilter) -> AsyncStream<StreamedEvent>? {
        guard streams.count < Self.maxStreams, !closed else { return nil }
        nextStream += 1
        let id = nextStream
        let (stream, continuation) = AsyncStream.makeStream(of: StreamedEvent.self, bufferingPolicy: .bufferingNewest(Self.bufferPerStream))
        continuation.onTermination = { [weak self] _ in Task { await self?.close(id) } }
        streams[id] = Stream(filter: filter, continuation: continuation)
        return stream
    }

    private func close(_ id: UInt64) {
        streams[id] = nil
    }

    var openStreams: Int { streams.count }

    /// Ends every stream (their responses finish, so the server can stop) and opens no more.
    func closeAll() {
        closed = true
        for stream in streams.values { stream.continuation.finish() }
        streams = [:]
    }

    /// A comment line to every stream, so proxies and browsers keep idle connections open.
    func keepAlive() {
        for stream in streams.values { stream.continuation.yield(StreamedEvent(id: 0, topic: "", json: "")) }
    }

    /// Follows the bus until the task is cancelled.
    func follow(_ subscriber: Subscriber) async {
        let events: AsyncStream<Event>
        do {
            events = try await subscriber.subscribe(Self.topics)
        } catch {
            logger.error("the event stream cannot subscribe to the bus", metadata: ["error": "\(error)"])
            return
        }
        for await event in events { deliver(event) }
    }

    func deliver(_ event: Event) {
        guard !event.topic.hasPrefix(Topics.leaseRenewalPrefix) else { return }  // nothing changed
        let data = (try? JSONDecoder().decode(JSONValue.self, from: Data(event.payload))) ?? .string(event.text)  // not JSON: sent as text
        let run = event.header?.correlationID ?? data.value(at: ["run"]).flatMap { if case .string(let s) = $0 { s } else { nil } }
        var workflow = data.value(at: ["workflow"]).flatMap { if case .string(let s) = $0 { s } else { nil } }
        if let run {
            if let workflow { remember(run, workflow) } else { workflow = workflows[run] }
        }
        guard streams.values.contains(where: { $0.filter.admits(topic: event.topic, run: run, workflow: workflow) }) else { return }
        nextEvent += 1
        var fields: [String: JSONValue] = ["topic": .string(event.topic), "data": data,
                                           "at": .number(Double(event.header?.timestampMilliseconds ?? WallClock.nowMilliseconds()))]
        if let run { fields["run"] = .string(run) }
        if let workflow { fields["workflow"] = .string(workflow) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(JSONValue.object(fields))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let streamed = StreamedEvent(id: nextEvent, topic: event.topic, json: json)
        for stream in streams.values where stream.filter.admits(topic: event.topic, run: run, workflow: workflow) {
            stream.continuation.yield(streamed)
        }
    }

    private func remember(_ run: String, _ workflow: String) {
        guard workflows[run] == nil else { return }
        workflows[run] = workflow
        workflowOrder.append(run)
        if workflowOrder.count > Self.maxRunsRemembered {
            let drop = workflowOrder.count - Self.maxRunsRemembered / 2
            for forgotten in workflowOrder.prefix(drop) { workflows[forgotten] = nil }
            workflowOrder.removeFirst(drop)
        }
    }
}
