import ColonyAgent
import ColonyCore
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Starts workflows from events (`trigger:`). The active orchestrator subscribes to every
/// trigger's topic; for each matching event it checks `when`, renders the input and the dedupe
/// key, and starts a run whose id comes from (workflow, dedupe key), so a redelivered or
/// replayed event — even across restarts — starts at most one run. Every firing is recorded
/// (started, filtered, duplicate, refused, and why). The workflow files are read again every
/// 2 s; a changed set of topics resubscribes.
public struct TriggerService: Service {
    /// A trigger with the workflow version its runs start with.
    struct Armed: Sendable {
        var trigger: EventTrigger
        var definitionID: Int64
        var definition: WorkflowDefinition
    }

    let engine: Engine
    let registry: WorkflowRegistry
    let store: any TriggerStore
    let endpoints: BrokerEndpoints
    let credentials: Credentials?
    let logger: Logger
    let clock: any EngineClock
    /// How often the workflow files are read again.
    static let reloadInterval: Duration = .seconds(2)

    public init(engine: Engine, registry: WorkflowRegistry, store: any TriggerStore, endpoints: BrokerEndpoints, credentials: Credentials?,
                clock: any EngineClock = .system, logger: Logger) {
        self.engine = engine
        self.registry = registry
        self.store = store
        self.endpoints = endpoints
        self.credentials = credentials
        self.clock = clock
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let armed = await self.armed()
                guard !armed.isEmpty else {
                    try? await Task.sleep(for: Self.reloadInterval)
                    continue
                }
                await self.listen(armed)
            }
        }
    }

    /// The triggers of the workflows as the files say now, each with its stored version.
    func armed() async -> [Armed] {
        let catalog = await registry.catalog()
        var armed: [Armed] = []
        for definition in catalog.workflows where definition.enabled {
            guard let trigger = definition.triggered else { continue }
            do {
                let id = try await registry.version(of: definition)
                armed.append(Armed(trigger: trigger, definitionID: id, definition: definition))
            } catch {
                logger.error("cannot store a triggered workflow's version", metadata: ["workflow": "\(definition.name)", "error": "\(error)"])
            }
        }
        return armed
    }

    /// Serves `armed` until the workflow files change what is armed (or the task ends).
    func listen(_ armed: [Armed]) async {
        let subscriber = Subscriber(endpoints: endpoints, credentials: credentials)
        let events: AsyncStream<Event>
        do {
            events = try await subscriber.subscribe(Array(Set(armed.map(\.trigger.subscription))).sorted())
        } catch {
            logger.error("triggers cannot subscribe to the bus; retrying", metadata: ["error": "\(error)"])
            try? await Task.sleep(for: Self.reloadInterval)
            return
        }
        logger.info("triggers armed", metadata: ["workflows": "\(armed.map(\.definition.name).joined(separator: ","))"])
        let reloader = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.reloadInterval)
                let now = await self.armed()
                if now.map(\.definitionID) != armed.map(\.definitionID) {
                    await subscriber.close()
                    return
                }
            }
        }
        defer { reloader.cancel() }
        await withTaskCancellationHandler {
            for await event in events {
                for entry in armed where entry.trigger.matches(event.topic) {
                    await fire(entry, event)
                }
            }
        } onCancel: {
            Task { await subscriber.close() }
        }
    }

    /// Decides one firing, starts its run if it should, and records it before the next event
    /// is taken (events wait in the subscription's bounded buffer meanwhile).
    func fire(_ entry: Armed, _ event: Event) async {
        await record(await decide(entry, event))
    }

    /// What one event comes to, its run started if it should be.
    private func decide(_ entry: Armed, _ event: Event) async -> FiringRecord {
        let workflow = entry.definition.name
        let payload = (try? JSONDecoder().decode(JSONValue.self, from: Data(event.payload))) ?? .string(event.text)
        let resolve: (Reference) -> JSONValue? = { reference in
            guard case .event(let path) = reference else { return nil }
            return path.isEmpty ? payload : payload.value(at: path)
        }
        var firing = FiringRecord(workflow: workflow, topic: event.topic, outcome: .started, at: clock.now)
        if let when = entry.trigger.when, !when.evaluate(resolve) {
            firing.outcome = .filtered
            firing.reason = "when is false: \(entry.trigger.whenText ?? "")"
            return firing
        }
        if let dedupe = entry.trigger.dedupe {
            guard let key = Self.dedupeKey(dedupe, resolve) else {
                firing.outcome = .refused
                firing.reason = "the dedupe key \(dedupe) is missing from the event"
                return firing
            }
            firing.dedupeKey = String(key.prefix(500))
        }
        let input = entry.trigger.input.rendered(resolve)
        let id = firing.dedupeKey.map { Self.runID(workflow: workflow, key: $0) }
        do {
            let run = try await engine.start(definitionID: entry.definitionID, definition: entry.definition, input: input, id: id,
                                             tags: ["trigger": String(event.topic.prefix(256))])
            firing.runID = run.id
        } catch .store(.duplicateKey) {
            firing.outcome = .duplicate
            firing.runID = id
            firing.reason = "run \(id?.rawValue ?? "?") was started for dedupe key '\(firing.dedupeKey ?? "")'"
        } catch {
            firing.outcome = .refused
            firing.reason = "\(error)"
        }
        return firing
    }

    private func record(_ firing: FiringRecord) async {
        Counter(label: "colony_trigger_firings_total", dimensions: [("workflow", firing.workflow), ("outcome", firing.outcome.rawValue)]).increment()
        // A busy topic filters most events: only starts and refusals are for a person.
        let level: Logger.Level = switch firing.outcome {
        case .refused: .warning
        case .started: .info
        case .filtered, .duplicate: .debug
        }
        logger.log(level: level, "trigger \(firing.outcome.rawValue)", metadata: [
            "workflow": "\(firing.workflow)", "topic": "\(firing.topic)", "correlation": "\(firing.runID?.rawValue ?? "-")",
            "reason": "\(firing.reason ?? "-")",
        ])
        do {
            try await store.recordFiring(firing)
        } catch {
            logger.error("cannot record a trigger firing", metadata: ["workflow": "\(firing.workflow)", "error": "\(error)"])
        }
    }

    /// The dedupe template's value as text, or nil when a reference in it is missing or null.
    static func dedupeKey(_ text: String, _ resolve: (Reference) -> JSONValue?) -> String? {
        guard case .success(let template) = Template.parse(text),
              template.references.allSatisfy({ resolve($0).map { $0 != .null } ?? false }) else { return nil }
        switch template.render(resolve) {
        case .string(let key): return key.isEmpty ? nil : key
        case .null: return nil
        case let other: return other.jsonText
        }
    }

    /// The run a dedupe key starts: the same for the same (workflow, key), on any orchestrator.
    static func runID(workflow: String, key: String) -> RunID {
        RunID("t-" + FNV1a.hex(workflow.utf8 + [0] + key.utf8))
    }
}
