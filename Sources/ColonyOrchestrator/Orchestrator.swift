import ColonyCore
import ColonyAgent
import ColonyEngine
import ColonySchedule
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging

/// The orchestrator: the engine, the workflow files and the store, served on the bus as the
/// `colony.workflow.*` capabilities.
public struct Orchestrator: Sendable {
    public let engine: Engine
    public let registry: WorkflowRegistry
    public let store: any Scheduler.Store
    public let scheduler: Scheduler
    public let coordinator: Coordinator
    /// Where trigger firings are kept (`colony.trigger.*` are served only with one).
    public let triggers: (any TriggerStore)?

    public init(engine: Engine, registry: WorkflowRegistry, store: any Scheduler.Store, scheduler: Scheduler, coordinator: Coordinator,
                triggers: (any TriggerStore)? = nil) {
        self.triggers = triggers
        self.engine = engine
        self.registry = registry
        self.store = store
        self.scheduler = scheduler
        self.coordinator = coordinator
    }

    /// The agent that serves the orchestrator's capabilities.
    public func agent(name: String = "orchestrator") -> Agent {
        var agent = Agent(name: name, concurrency: 64)
        let engine = engine, registry = registry, store = store
        agent.capability(OrchestratorAPI.list) { (_: Empty, _) in
            try await Self.mapped { () async throws(RegistryError) in try await registry.summaries() }
        }
        agent.capability(OrchestratorAPI.run) { (request: OrchestratorAPI.RunRequest, _) in
            let (id, definition) = try await Self.mapped { () async throws(RegistryError) in try await registry.current(request.workflow) }
            guard definition.enabled else {
                throw WireError(ErrorCode(OrchestratorAPI.Codes.disabled), "workflow '\(request.workflow)' is disabled (enabled: false)")
            }
            if let key = request.id, let problem = RunKey.problem(in: key.rawValue) {
                throw WireError(ErrorCode(OrchestratorAPI.Codes.invalidInput), problem)
            }
            if let tags = request.tags, let problem = RunTags.problem(in: tags) {
                throw WireError(ErrorCode(OrchestratorAPI.Codes.invalidInput), problem)
            }
            let redactor = SecretRedactor(secrets: definition.secretValues(in: request.input ?? .null))
            let outcome: Result<RunRecord, EngineError>
            do throws(EngineError) {
                outcome = .success(try await engine.start(definitionID: id, definition: definition, input: request.input ?? .null,
                                                          priority: request.priority ?? 0, id: request.id, tags: request.tags))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let record):
                return OrchestratorAPI.StartedRun(run: redactor.run(record), existing: false)
            case .failure(.store(.duplicateKey)) where request.id != nil:
                // Submitted before with this id: the run it started, not another.
                let existing = try await Self.mapped { () async throws(StoreError) in try await store.snapshot(run: request.id!) }.run
                guard existing.workflow == request.workflow else {
                    throw WireError(ErrorCode(OrchestratorAPI.Codes.runExists),
                                    "run id '\(existing.id)' is taken by a run of workflow '\(existing.workflow)'")
                }
                return OrchestratorAPI.StartedRun(run: await SecretRedactor.for(existing, store: store).run(existing), existing: true)
            case .failure(let error):
                return try await Self.mapped { () async throws(EngineError) in throw error }
            }
        }
        agent.capability(OrchestratorAPI.show) { (request: OrchestratorAPI.RunReference, _) in
            let snapshot = try await Self.mapped { () async throws(StoreError) in try await store.snapshot(run: request.run) }
            let redactor = await SecretRedactor.for(snapshot.run, store: store)
            return OrchestratorAPI.RunDetail(
                run: redactor.run(snapshot.run), steps: snapshot.steps.map(redactor.step), attempts: snapshot.attempts.map(redactor.attempt),
                transitions: snapshot.transitions.map(redactor.transition),
                waiting: await engine.waitingReasons(request.run).map { $0.redacting(redactor.secrets) },
                skipped: try await Self.mapped { () async throws(StoreError) in try await store.skips(run: request.run) },
                children: try await Self.mapped { () async throws(StoreError) in try await store.children(of: request.run) },
                retries: try await Self.mapped { () async throws(StoreError) in try await store.retries(of: request.run) }.map(redactor.run)
            )
        }
        agent.capability(OrchestratorAPI.retry) { (request: OrchestratorAPI.RetryRequest, _) in
            var version: (id: Int64, definition: WorkflowDefinition)?
            if request.latest == true {
                let old = try await Self.mapped { () async throws(StoreError) in try await store.snapshot(run: request.run) }.run
                version = try await Self.mapped { () async throws(RegistryError) in try await registry.current(old.workflow) }
            }
            let record = try await Self.mapped { () async throws(EngineError) in
                try await engine.retry(request.run, from: request.from ?? [], input: request.input, definitionID: version?.id, definition: version?.definition)
            }
            return await SecretRedactor.for(record, store: store).run(record)
        }
        agent.capability(OrchestratorAPI.wait) { (request: OrchestratorAPI.WaitRequest, _) in
            let deadline = ContinuousClock.now + Duration(clampingSeconds: request.timeoutSeconds ?? 10)
            while true {
                let generation = await engine.changeGeneration
                let snapshot = try await Self.mapped { () async throws(StoreError) in try await store.snapshot(run: request.run) }
                let fresh = snapshot.transitions.filter { ($0.sequence ?? 0) > request.after }
                if !fresh.isEmpty || snapshot.run.status.isFinal || ContinuousClock.now >= deadline {
                    let redactor = await SecretRedactor.for(snapshot.run, store: store)
                    return OrchestratorAPI.WaitReply(run: redactor.run(snapshot.run), transitions: fresh.map(redactor.transition))
                }
                await engine.waitForChange(run: request.run, after: generation, timeout: deadline - ContinuousClock.now)
            }
        }
        agent.capability(OrchestratorAPI.history) { (request: OrchestratorAPI.HistoryRequest, _) in
            if let workflow = request.workflow {
                try await Self.mapped { () async throws(RegistryError) in try await registry.requireKnown(workflow) }
            }
            let before = request.beforeRun.flatMap { run in request.beforeCreatedAt.map { (createdAt: $0, id: run) } }
            if let tags = request.tags, let problem = RunTags.problem(in: tags) {
                throw WireError(ErrorCode(OrchestratorAPI.Codes.invalidInput), problem)
            }
            let query = HistoryQuery(workflow: request.workflow, status: request.status, since: request.since, before: before,
                                     limit: min(max(request.limit ?? 50, 1), 10_000), tags: request.tags ?? [:])
            var runs: [RunRecord] = []
            for run in try await Self.mapped({ () async throws(StoreError) in try await store.history(query) }) {
                runs.append(await SecretRedactor.for(run, store: store).run(run))
            }
            return OrchestratorAPI.HistoryReply(runs: runs)
        }
        agent.capability(OrchestratorAPI.versions) { (request: OrchestratorAPI.VersionsRequest, _) in
            let records = try await Self.mapped { () async throws(StoreError) in
                try await store.versions(of: request.workflow, limit: min(max(request.limit ?? 20, 1), 1_000))
            }
            return records.compactMap { record in
                record.id.map { _ in OrchestratorAPI.Version(version: Int64(record.version), fingerprint: record.fingerprint, createdAt: record.createdAt, source: record.source) }
            }
        }
        agent.capability(OrchestratorAPI.stats) { (request: OrchestratorAPI.StatsRequest, _) in
            try await Self.mapped { () async throws(RegistryError) in try await registry.requireKnown(request.workflow) }
            return try await Self.mapped { () async throws(StoreError) in try await store.statistics(workflow: request.workflow) }
        }
        // Agents report each handler their gate skipped; kept for `colony workflow show`.
        agent.on(Topics.workflowSkipped, includingFinishedRuns: true) { (report: SkipReport, _) in
            try await Self.mapped { () async throws(StoreError) in
                try await store.recordSkip(SkipRecord(
                    runID: RunID(report.run), agent: report.agent, handler: report.handler, status: RunStatus(report.status), reason: report.reason,
                    at: Date(timeIntervalSince1970: Double(report.atMilliseconds) / 1000)
                ))
            }
        }
        let scheduler = scheduler
        agent.capability(ScheduleAPI.list) { (_: Empty, _) in
            ScheduleAPI.ListReply(schedules: try await Self.mapped { () async throws(StoreError) in try await scheduler.summaries() })
        }
        agent.capability(ScheduleAPI.pause) { (target: ScheduleAPI.Target, _) in
            try await Self.mapped { () async throws(SchedulerError) in try await scheduler.setPaused(target.name, paused: true, reason: target.reason) }
            return Empty()
        }
        agent.capability(ScheduleAPI.resume) { (target: ScheduleAPI.Target, _) in
            try await Self.mapped { () async throws(SchedulerError) in try await scheduler.setPaused(target.name, paused: false, reason: nil) }
            return Empty()
        }
        agent.capability(ScheduleAPI.trigger) { (target: ScheduleAPI.Target, _) in
            try await Self.mapped { () async throws(SchedulerError) in try await scheduler.trigger(target.name) }
        }
        agent.capability(ScheduleAPI.add) { (spec: ScheduleSpec, _) in
            try await Self.mapped { () async throws(SchedulerError) in try await scheduler.add(spec) }
            return Empty()
        }
        agent.capability(ScheduleAPI.remove) { (target: ScheduleAPI.Target, _) in
            try await Self.mapped { () async throws(SchedulerError) in try await scheduler.remove(target.name) }
            return Empty()
        }
        agent.capability(ScheduleAPI.ticks) { (request: ScheduleAPI.TicksRequest, _) in
            if let name = request.schedule {
                let names = try await Self.mapped { () async throws(StoreError) in try await store.schedules().map(\.name) }
                guard names.contains(name) else {
                    throw WireError(ErrorCode(ScheduleAPI.Codes.unknownSchedule), SchedulerError.unknownSchedule(name, known: names).description)
                }
            }
            return ScheduleAPI.TicksReply(ticks: try await Self.mapped { () async throws(StoreError) in
                try await store.ticks(schedule: request.schedule, outcome: nil, limit: min(max(request.limit ?? 50, 1), 1000))
            })
        }
        agent.capability(ScheduleAPI.queue) { (_: Empty, _) in
            ScheduleAPI.QueueReply(runs: await engine.queuedRuns, steps: await engine.resourceWaits, resources: await engine.resourceHoldings,
                                   paused: await engine.pausedRuns)
        }
        let coordinator = coordinator
        agent.capability(CoordinationAPI.status) { (request: CoordinationAPI.GroupRequest, _) in
            if let group = request.group {
                return [try await Self.mapped { () async throws(StoreError) in try await coordinator.storedLeadership(of: group) }].compactMap { $0 }
            }
            return try await Self.mapped { () async throws(StoreError) in try await coordinator.leaderships() }
        }
        agent.capability(CoordinationAPI.decisions) { (request: CoordinationAPI.GroupRequest, _) in
            let rounds = try await Self.mapped { () async throws(StoreError) in try await store.rounds(group: request.group ?? "", limit: 20) }
            return rounds.map {
                CoordinationAPI.Decision(round: $0.id, kind: $0.kind, decision: $0.decision, openedAt: $0.openedAt, decidedAt: $0.decidedAt,
                                         announced: $0.announcedAt != nil)
            }
        }
        agent.capability(CoordinationAPI.resign) { (request: CoordinationAPI.Resignation, _) in
            let after = try await Self.mapped { () async throws(StoreError) in
                try await coordinator.resign(group: request.group, instance: request.instance)
            }
            guard let after else {
                throw WireError(ErrorCode(CoordinationAPI.Codes.notLeader), "\(request.instance) does not lead \(request.group)")
            }
            return after
        }
        agent.capability(OrchestratorAPI.signal) { (request: OrchestratorAPI.SignalRequest, _) in
            guard !request.signal.isEmpty, request.signal.utf8.count <= 100 else {
                throw WireError(.badRequest, "a signal needs a name of 1 to 100 characters")
            }
            return try await Self.mapped { () async throws(EngineError) in
                try await engine.signal(run: request.run, name: request.signal, data: request.data)
            }
        }
        /// The run as stored now, its secrets redacted: what a change to a run answers with.
        let storedRun = { @Sendable (id: RunID) async throws -> RunRecord in
            let run = try await Self.mapped { () async throws(StoreError) in try await store.snapshot(run: id) }.run
            return await SecretRedactor.for(run, store: store).run(run)
        }
        agent.capability(OrchestratorAPI.pause) { (request: OrchestratorAPI.RunReference, _) in
            try await Self.mapped { () async throws(EngineError) in
                try await engine.pause(run: request.run, reason: request.reason ?? "paused by request")
            }
            return try await storedRun(request.run)
        }
        agent.capability(OrchestratorAPI.resume) { (request: OrchestratorAPI.RunReference, _) in
            try await Self.mapped { () async throws(EngineError) in
                try await engine.unpause(run: request.run, reason: request.reason ?? "resumed by request")
            }
            return try await storedRun(request.run)
        }
        if let triggers {
            agent.capability(TriggerAPI.list) { (_: Empty, _) in
                let summaries = try await Self.mapped { () async throws(StoreError) in try await triggers.firingSummaries() }
                let declared = await registry.catalog().workflows.compactMap { workflow in
                    workflow.triggered.map { (workflow, $0) }
                }
                return TriggerAPI.ListReply(triggers: declared.map { workflow, trigger in
                    let summary = summaries.first { $0.workflow == workflow.name }
                    return TriggerAPI.Trigger(workflow: workflow.name, event: trigger.event, when: trigger.whenText, dedupe: trigger.dedupe,
                                              enabled: workflow.enabled, counts: summary?.counts ?? [:], last: summary?.last)
                })
            }
            agent.capability(TriggerAPI.log) { (request: TriggerAPI.LogRequest, _) in
                if let workflow = request.workflow {
                    let triggered = await registry.catalog().workflows.filter { $0.triggered != nil }.map(\.name)
                    let fired = try await Self.mapped { () async throws(StoreError) in try await triggers.firingSummaries().map(\.workflow) }
                    guard triggered.contains(workflow) || fired.contains(workflow) else {
                        let near = didYouMean(workflow, in: triggered).map { " (\($0))" } ?? ""
                        throw WireError(ErrorCode(OrchestratorAPI.Codes.unknownWorkflow), "no workflow '\(workflow)' has a trigger\(near)")
                    }
                }
                return TriggerAPI.LogReply(firings: try await Self.mapped { () async throws(StoreError) in
                    try await triggers.firings(workflow: request.workflow, limit: min(max(request.limit ?? 50, 1), 1000))
                })
            }
        }
        agent.capability(OrchestratorAPI.cancel) { (request: OrchestratorAPI.RunReference, _) in
            _ = try await Self.mapped { () async throws(EngineError) in
                try await engine.cancel(run: request.run, reason: request.reason ?? "cancelled by request")
            }
            return try await storedRun(request.run)
        }
        return agent
    }

    /// Runs `body`, turning typed refusals into wire errors with their own codes.
    static func mapped<T, E: Error>(_ body: () async throws(E) -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RegistryError {
            switch error {
            case .unknown, .neverKnown: throw WireError(ErrorCode(OrchestratorAPI.Codes.unknownWorkflow), error.description)
            case .store(let inner): throw wire(inner)
            }
        } catch let error as EngineError {
            switch error {
            case .invalidInput: throw WireError(ErrorCode(OrchestratorAPI.Codes.invalidInput), error.description)
            case .notActive: throw WireError(ErrorCode(OrchestratorAPI.Codes.unknownRun), error.description)
            case .store(let inner): throw wire(inner)
            case .ended: throw WireError(ErrorCode(OrchestratorAPI.Codes.alreadyFinished), error.description)
            case .unknownSignal: throw WireError(ErrorCode(OrchestratorAPI.Codes.unknownSignal), error.description)
            case .signalNotAwaited: throw WireError(ErrorCode(OrchestratorAPI.Codes.signalNotAwaited), error.description)
            case .signalRefused: throw WireError(.badRequest, error.description)
            case .queueFull: throw WireError(.overloaded, error.description)
            case .notPausable: throw WireError(ErrorCode(OrchestratorAPI.Codes.notRunning), error.description)
            case .notPaused: throw WireError(ErrorCode(OrchestratorAPI.Codes.notPaused), error.description)
            case .notFinished: throw WireError(ErrorCode(OrchestratorAPI.Codes.notFinished), error.description)
            case .unknownStep: throw WireError(ErrorCode(OrchestratorAPI.Codes.unknownStep), error.description)
            case .nothingToRetry: throw WireError(ErrorCode(OrchestratorAPI.Codes.nothingToRetry), error.description)
            }
        } catch let error as SchedulerError {
            switch error {
            case .unknownSchedule: throw WireError(ErrorCode(ScheduleAPI.Codes.unknownSchedule), error.description)
            case .invalid: throw WireError(ErrorCode(ScheduleAPI.Codes.invalidSchedule), error.description)
            case .engine(let inner): throw WireError(ErrorCode(OrchestratorAPI.Codes.store), inner.description)
            case .store(let inner): throw wire(inner)
            }
        } catch let error as StoreError {
            throw wire(error)
        }
    }

    static func wire(_ error: StoreError) -> WireError {
        if case .runNotFound = error { return WireError(ErrorCode(OrchestratorAPI.Codes.unknownRun), error.description) }
        return WireError(ErrorCode(OrchestratorAPI.Codes.store), error.description)
    }
}
