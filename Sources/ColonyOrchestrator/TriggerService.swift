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

/// Starts workflows from events (`trigger:`). The active orchestrator reads the broker's event
/// journal (`mmi.events.read`) from a cursor kept in the store; for each matching event it
/// checks `when`, renders the input and the dedupe key, and starts a run whose id comes from
/// (workflow, dedupe key) — or, without one, from the event's place in the journal — so a
/// redelivered, replayed or re-read event starts at most one run. Every firing is recorded
/// (started, filtered, duplicate, refused, and why) in the transaction that moves the cursor
/// past its event, so kill -9 anywhere between an event and its run start loses nothing. The
/// workflow files are read again every 2 s; a changed set of triggers reads on from the cursor.
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
            let client = ColonyClient(endpoints: self.endpoints, credentials: self.credentials)
            while !Task.isCancelled {
                let armed = await self.armed()
                guard !armed.isEmpty else {
                    // Nothing listens: events until a trigger is armed again start nothing.
                    try? await self.store.saveJournalCursor(nil)
                    try? await Task.sleep(for: Self.reloadInterval)
                    continue
                }
                await self.listen(armed, client: client)
            }
            await client.close()
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

    /// Reads the broker's event journal from the stored cursor and fires `armed` for each
    /// event, until the workflow files change what is armed (or the task ends).
    func listen(_ armed: [Armed], client: ColonyClient) async {
        let topics = Array(Set(armed.map(\.trigger.subscription))).sorted()
        logger.debug("triggers armed", metadata: ["workflows": "\(armed.map(\.definition.name).joined(separator: ","))"])
        var reader = JournalReader(store: store, client: client, topics: topics, logger: logger)
        var nextReload = ContinuousClock.now + Self.reloadInterval
        while !Task.isCancelled {
            if ContinuousClock.now >= nextReload {
                if await self.armed().map(\.definitionID) != armed.map(\.definitionID) { return }
                nextReload = ContinuousClock.now + Self.reloadInterval
            }
            guard let page = await reader.next() else {
                try? await Task.sleep(for: Self.reloadInterval)
                continue
            }
            var recorded = true
            for (seq, event) in page.events where recorded {
                var firings: [FiringRecord] = []
                for entry in armed where entry.trigger.matches(event.topic) {
                    firings.append(await decide(entry, event, position: JournalCursor(journal: page.batch.journal, seq: seq)))
                }
                recorded = await reader.commit(firings, through: seq)
                if recorded { firings.forEach(report) }
            }
            if recorded { await reader.commit([], through: page.batch.through) }
        }
    }

    /// What one event comes to, its run started if it should be.
    /// Without a dedupe key, the run id comes from the event's place in the journal, so an
    /// event read again after a restart cannot start a second run.
    private func decide(_ entry: Armed, _ event: Event, position: JournalCursor) async -> FiringRecord {
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
            ?? Self.runID(workflow: workflow, key: "journal \(position.journal) \(position.seq)")
        do {
            let run = try await engine.start(definitionID: entry.definitionID, definition: entry.definition, input: input, id: id,
                                             tags: ["trigger": String(event.topic.prefix(256))])
            firing.runID = run.id
        } catch .store(.duplicateKey) where firing.dedupeKey == nil {
            // Only this event's own firing makes this id: it started the run before a restart.
            firing.runID = id
            firing.reason = "the run was started before the orchestrator restarted; recorded when the event was read again"
        } catch .store(.duplicateKey) {
            firing.outcome = .duplicate
            firing.runID = id
            firing.reason = "run \(id.rawValue) was started for dedupe key '\(firing.dedupeKey ?? "")'"
        } catch {
            firing.outcome = .refused
            firing.reason = "\(error)"
        }
        return firing
    }

    /// Counts and logs a recorded firing.
    private func report(_ firing: FiringRecord) {
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
