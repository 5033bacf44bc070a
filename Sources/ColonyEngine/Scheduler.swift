import ColonySchedule
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
import ServiceLifecycle
import ColonyCore

/// Fires scheduled workflows. Each pass decides every due tick of every schedule (`TickPlan`),
/// records each decision with its reason, and starts runs whose identity is (schedule, tick):
/// the store refuses a second run with the same identity, so a tick starts at most one run,
/// across restarts and with two schedulers on one store. It sleeps until the next tick, and
/// wakes early when a run of a schedule ends (buffered ticks) or a schedule changes.
public actor Scheduler {
    public typealias Store = WorkflowStore & ScheduleStore & CoordinationStore

    let store: any Store
    let engine: Engine
    let registry: WorkflowRegistry
    let clock: any EngineClock
    let logger: Logger

    private var sleeper: Task<Void, Never>?
    private var poked = false
    private var cache: [ScheduledWorkflow] = []
    private var cacheLoadedAt = Date.distantPast
    /// Schedule states as of the last reload, kept current by this scheduler (the only active one).
    private var states: [String: ScheduleRecord] = [:]
    /// Ticks waiting (overlap buffer_*) per schedule.
    private var buffered: [String: Int] = [:]
    /// Called with each tick once it is stored (the control plane publishes them).
    private var tickObservers: [@Sendable (TickNotice) -> Void] = []
    /// How often the workflow files and added schedules are read again.
    let reloadInterval: TimeInterval = 2

    /// A schedule with the workflow version its runs start with.
    struct ScheduledWorkflow {
        var schedule: Schedule
        var origin: ScheduleOrigin
        var source: String?
        var definitionID: Int64
        var definition: WorkflowDefinition
    }

    public init(store: any Store, engine: Engine, registry: WorkflowRegistry, clock: any EngineClock = .system, logger: Logger) {
        self.store = store
        self.engine = engine
        self.registry = registry
        self.clock = clock
        self.logger = logger
    }

    /// Calls `observer` with every tick this scheduler decides, after it is stored.
    public func observeTicks(_ observer: @escaping @Sendable (TickNotice) -> Void) {
        tickObservers.append(observer)
    }

    /// Makes the scheduler look again now (a run ended, a schedule changed).
    public func poke() {
        poked = true
        sleeper?.cancel()
    }

    private func runLoop() async {
        while !Task.isCancelled {
            let now = clock.now
            let next = await pass(now: now)
            // Re-reading files and states is kept off the moment of a tick.
            let afterPass = clock.now
            let nextIsNear = next != nil && next!.timeIntervalSince(afterPass) <= 0.05
            if afterPass.timeIntervalSince(cacheLoadedAt) >= reloadInterval && !nextIsNear {
                _ = await scheduledWorkflows(now: afterPass, reload: true)
            }
            if poked {
                poked = false
                continue
            }
            let wake = min(next ?? .distantFuture, clock.now.addingTimeInterval(1))
            let clock = self.clock
            // Its own task so that `poke()` can end the sleep early; awaited, and cancelled with the loop.
            let sleeper = Task {
                do {
                    try await clock.sleep(until: wake)
                } catch {}  // poked or cancelled: either way, look again (or leave)
            }
            self.sleeper = sleeper
            await withTaskCancellationHandler { await sleeper.value } onCancel: { sleeper.cancel() }
            self.sleeper = nil
        }
    }

    // MARK: One pass

    /// Decides and acts on every due tick; returns when the next tick is due.
    @discardableResult
    func pass(now: Date) async -> Date? {
        var nextWake: Date?
        for entry in await scheduledWorkflows(now: now) {
            do {
                let next = try await pass(entry, now: now)
                if let next { nextWake = min(nextWake ?? next, next) }
            } catch {
                logger.error("schedule pass failed", metadata: ["schedule": "\(entry.schedule.name)", "error": "\(error)"])
            }
        }
        return nextWake
    }

    private func pass(_ entry: ScheduledWorkflow, now: Date) async throws(StoreError) -> Date? {
        let schedule = entry.schedule
        guard let state = states[schedule.name], !state.paused else { return nil }
        let lastTick = state.lastTick.map(schedule.aligned) ?? now
        // Nothing due and nothing waiting: no store work at all (most passes).
        let due = schedule.nextTick(after: lastTick)
        if due.map({ $0 > now }) ?? true, buffered[schedule.name, default: 0] == 0 { return due }

        // Reads only what the overlap policy needs: allow_all does not care what is running.
        var active = schedule.overlap == .allowAll ? [] : try await store.runs(schedule: schedule.name, statuses: [.pending, .running, .paused], latest: nil)
        var buffered = self.buffered[schedule.name, default: 0] == 0 ? []
            : try await store.ticks(schedule: schedule.name, outcome: .buffered, limit: 10_000).sorted { $0.scheduledAt < $1.scheduledAt }
        if active.isEmpty, let waiting = buffered.first {
            buffered.removeFirst()
            self.buffered[schedule.name] = buffered.count
            if let run = await startRun(entry, tick: waiting.scheduledAt, now: now, reason: "buffered tick, after the previous run ended") {
                active.append(run)
            }
        }
        let plan = TickPlan.decide(schedule, lastTick: lastTick, now: now, running: active.count, buffered: buffered.count)
        for decision in plan.decisions {
            switch decision.action {
            case .start:
                if let run = await startRun(entry, tick: decision.tick, now: now, reason: nil) { active.append(run) }
            case .startCancellingOthers:
                for run in active {
                    do {
                        _ = try await engine.cancel(run: run.id, reason: "replaced by the tick of \(decision.tick) (overlap: cancel_other)")
                    } catch .ended {
                        continue
                    } catch {
                        logger.error("cannot cancel the run a tick replaces", metadata: [
                            "schedule": "\(schedule.name)", "correlation": "\(run.id)", "error": "\(error)",
                        ])
                    }
                }
                active = []
                if let run = await startRun(entry, tick: decision.tick, now: now, reason: "cancelled the previous run (overlap: cancel_other)") {
                    active.append(run)
                }
            case .buffer:
                self.buffered[schedule.name, default: 0] += 1
                try await record(schedule, decision.tick, .buffered, reason: "waiting for the running run (overlap: \(schedule.overlap.rawValue))", now: now)
            case .skip(let reason):
                try await record(schedule, decision.tick, .skipped, reason: reason, now: now)
            case .miss(let reason):
                try await record(schedule, decision.tick, .missed, reason: reason, now: now)
            }
        }
        if let newest = plan.decisions.last?.tick {
            states[schedule.name]?.lastTick = newest
            try await store.updateSchedule(schedule.name, lastTick: newest, consecutiveFailures: nil)
        }
        return schedule.nextTick(after: max(now, plan.decisions.last?.tick ?? lastTick))
    }

    /// Starts the run of `tick`; a second start of the same tick is refused by the store and
    /// recorded as a duplicate.
    @discardableResult
    private func startRun(_ entry: ScheduledWorkflow, tick: Date, now: Date, reason: String?) async -> RunRecord? {
        let schedule = entry.schedule
        if schedule.jitter > .zero {
            let delay = Double.random(in: 0...schedule.jitter.seconds)
            do {
                try await clock.sleep(until: clock.now.addingTimeInterval(delay))
            } catch {
                // Stopping during the jitter: the tick is decided, so its run starts now rather than never.
            }
        }
        let outcome: (TickOutcome, String)
        do {
            return try await launch(entry, tick: tick, now: now, reason: reason)
        } catch .store(.duplicateScheduledRun) {
            switch await adoptUnloggedRun(schedule, tick: tick, now: now) {
            case .adopted(let run):
                return run
            case .loggedAlready:
                // Its start is logged (the scheduler before a restart or takeover logged it and
                // stopped before moving the schedule past it): the tick is done; keep its record.
                logger.info("tick started before a restart", metadata: ["schedule": "\(schedule.name)", "tick": "\(tick)"])
                return nil
            case .unknown:
                outcome = (.duplicate, "a run for this tick exists already (started by another scheduler)")
            }
        } catch {
            outcome = (.skipped, "could not start: \(error)")
        }
        do {
            try await record(schedule, tick, outcome.0, reason: outcome.1, now: now)
        } catch {
            logger.error("cannot record a tick's outcome", metadata: [
                "schedule": "\(schedule.name)", "tick": "\(tick)", "outcome": "\(outcome.0.rawValue)", "error": "\(error)",
            ])
        }
        return nil
    }

    /// What a tick whose run exists already comes to.
    enum ExistingTick {
        /// A scheduler started its run and did not live to log it: logged now, once.
        case adopted(RunRecord)
        /// Its start is logged already.
        case loggedAlready
        /// Neither could be read.
        case unknown
    }

    /// The run of `tick` that a scheduler started but did not live to log (killed between the
    /// run's creation and the tick's record) is logged now as the tick's `started`, once.
    private func adoptUnloggedRun(_ schedule: Schedule, tick: Date, now: Date) async -> ExistingTick {
        do {
            let logged = try await store.ticks(schedule: schedule.name, outcome: .started, limit: 1000)
            guard !logged.contains(where: { abs($0.scheduledAt.timeIntervalSince(tick)) < 0.001 }) else { return .loggedAlready }
            let runs = try await store.runs(schedule: schedule.name, statuses: RunStatus.allCases, latest: 1000)
            guard let run = runs.first(where: { $0.scheduledAt.map { abs($0.timeIntervalSince(tick)) < 0.001 } ?? false }) else { return .unknown }
            let record = TickRecord(schedule: schedule.name, scheduledAt: tick, outcome: .started,
                                    reason: "started before a restart; logged by the next scheduler", runID: run.id, decidedAt: now,
                                    startedAt: run.createdAt)
            try await store.recordTick(record)
            for observer in tickObservers { observer(TickNotice(record, of: schedule)) }
            logger.notice("tick's run adopted", metadata: ["schedule": "\(schedule.name)", "tick": "\(tick)", "correlation": "\(run.id)"])
            return .adopted(run)
        } catch {
            logger.error("cannot read a tick's run", metadata: ["schedule": "\(schedule.name)", "tick": "\(tick)", "error": "\(error)"])
            return .unknown
        }
    }

    /// Starts the run whose identity is (schedule, `tick`) and records the tick as started.
    private func launch(_ entry: ScheduledWorkflow, tick: Date, now: Date, reason: String?) async throws(EngineError) -> RunRecord {
        let schedule = entry.schedule
        let run = try await engine.start(definitionID: entry.definitionID, definition: entry.definition, input: schedule.input,
                                         schedule: (schedule.name, tick))
        let record = TickRecord(schedule: schedule.name, scheduledAt: tick, outcome: .started, reason: reason, runID: run.id, decidedAt: now,
                                startedAt: run.createdAt)
        do {
            try await store.recordTick(record)
            for observer in tickObservers { observer(TickNotice(record, of: schedule)) }
        } catch {
            // The run exists (it carries the tick as its identity); only the tick's log line is missing.
            logger.error("cannot record a started tick", metadata: ["schedule": "\(schedule.name)", "tick": "\(tick)", "error": "\(error)"])
        }
        logger.debug("tick started a run", metadata: ["schedule": "\(schedule.name)", "tick": "\(tick)", "correlation": "\(run.id)"])
        EngineMetrics.tickStarted(schedule: schedule.name, lateness: run.createdAt.timeIntervalSince(tick))
        return run
    }

    private func record(_ schedule: Schedule, _ tick: Date, _ outcome: TickOutcome, reason: String, now: Date) async throws(StoreError) {
        let record = TickRecord(schedule: schedule.name, scheduledAt: tick, outcome: outcome, reason: reason, decidedAt: now)
        try await store.recordTick(record)
        for observer in tickObservers { observer(TickNotice(record, of: schedule)) }
        EngineMetrics.tick(schedule: schedule.name, outcome: outcome.rawValue)
        logger.notice("tick \(outcome.rawValue)", metadata: ["schedule": "\(schedule.name)", "tick": "\(tick)", "reason": "\(reason)"])
    }

    /// Makes sure every schedule has a stored state (a new one starts from its next tick), reads
    /// the states and waiting ticks back, and pauses schedules that failed too often.
    private func refreshStates(_ entries: [ScheduledWorkflow], now: Date) async {
        for entry in entries {
            let schedule = entry.schedule
            var fresh = ScheduleRecord(name: schedule.name, workflow: schedule.workflow, origin: entry.origin, source: entry.source)
            fresh.lastTick = now
            do {
                if let limit = schedule.pauseAfterFailures, states[schedule.name]?.paused == false {
                    try await pauseAfterFailures(schedule, limit: limit)
                }
                states[schedule.name] = try await store.ensureSchedule(fresh)
                buffered[schedule.name] = try await store.ticks(schedule: schedule.name, outcome: .buffered, limit: 10_000).count
            } catch {
                logger.error("cannot read the schedule's state", metadata: ["schedule": "\(schedule.name)", "error": "\(error)"])
            }
        }
    }

    private func pauseAfterFailures(_ schedule: Schedule, limit: Int) async throws(StoreError) {
        let latest = try await store.runs(schedule: schedule.name, statuses: [.completed, .failed, .cancelled], latest: limit)
        let streak = latest.reversed().prefix { $0.status == .failed }.count
        try await store.updateSchedule(schedule.name, lastTick: nil, consecutiveFailures: streak)
        if streak >= limit {
            try await store.setPaused(schedule.name, paused: true, reason: "paused after \(streak) consecutive failed runs")
            logger.warning("schedule paused after consecutive failures", metadata: ["schedule": "\(schedule.name)", "failures": "\(streak)"])
        }
    }

    // MARK: Triggering

    /// Starts a run of schedule `name` now, outside its ticks (identity: the schedule and now).
    public func trigger(_ name: String) async throws(SchedulerError) -> RunRecord {
        let now = clock.now
        let entries = await scheduledWorkflows(now: now, reload: true)
        guard let entry = entries.first(where: { $0.schedule.name == name }) else {
            throw .unknownSchedule(name, known: entries.map(\.schedule.name))
        }
        do {
            return try await launch(entry, tick: now, now: now, reason: "triggered by hand")
        } catch {
            throw .engine(error)
        }
    }

    /// An added schedule's definition and the workflow version it starts.
    private func runnable(_ record: ScheduleRecord, in catalog: WorkflowCatalog) async throws -> (Schedule, Int64, WorkflowDefinition) {
        guard let source = record.source else { throw SchedulerError.invalid("no stored definition") }
        let spec = try JSONDecoder().decode(ScheduleSpec.self, from: Data(source.utf8))
        let schedule = try spec.schedule()
        let (id, definition) = try await registry.current(spec.workflow, in: catalog)
        return (schedule, id, definition)
    }

    /// Every schedule: declared in workflow files, or added at run time (kept in the store).
    func scheduledWorkflows(now: Date, reload: Bool = false) async -> [ScheduledWorkflow] {
        guard reload || cacheLoadedAt == .distantPast else { return cache }
        var entries: [ScheduledWorkflow] = []
        let catalog = await registry.catalog()
        for definition in catalog.workflows {
            guard let schedule = definition.scheduled else { continue }
            do {
                let id = try await registry.version(of: definition)
                entries.append(ScheduledWorkflow(schedule: schedule, origin: .file, source: nil, definitionID: id, definition: definition))
            } catch {
                logger.error("cannot store a scheduled workflow's version; its schedule waits", metadata: [
                    "schedule": "\(schedule.name)", "error": "\(error)",
                ])
            }
        }
        let added: [ScheduleRecord]
        do {
            added = try await store.schedules().filter { $0.origin == .added }
        } catch {
            logger.error("cannot read the added schedules", metadata: ["error": "\(error)"])
            added = []
        }
        for record in added where !entries.contains(where: { $0.schedule.name == record.name }) {
            do {
                let (schedule, id, definition) = try await runnable(record, in: catalog)
                entries.append(ScheduledWorkflow(schedule: schedule, origin: .added, source: record.source, definitionID: id, definition: definition))
            } catch {
                logger.error("added schedule cannot run", metadata: ["schedule": "\(record.name)", "error": "\(error)"])
            }
        }
        await refreshStates(entries, now: now)
        cache = entries
        cacheLoadedAt = now
        return entries
    }
}

/// Why the scheduler refused a request.
public enum SchedulerError: Error, Sendable, CustomStringConvertible {
    case unknownSchedule(String, known: [String] = [])
    case invalid(String)
    case engine(EngineError)
    case store(StoreError)

    public var description: String {
        switch self {
        case .unknownSchedule(let name, let known):
            return "no schedule '\(name)'" + (didYouMean(name, in: known).map { " (\($0))" } ?? "")
        case .invalid(let message): return message
        case .engine(let error): return "\(error)"
        case .store(let error): return "\(error)"
        }
    }
}

// MARK: Managing schedules

extension Scheduler {
    /// Every schedule with its state, next fire time, last run and tick counts.
    public func summaries() async throws(StoreError) -> [ScheduleSummary] {
        let now = clock.now
        let entries = await scheduledWorkflows(now: now, reload: true)
        let states = Dictionary(uniqueKeysWithValues: try await store.schedules().map { ($0.name, $0) })
        var summaries: [ScheduleSummary] = []
        for entry in entries {
            let schedule = entry.schedule
            let state = states[schedule.name]
            let ticks = try await store.ticks(schedule: schedule.name, outcome: nil, limit: 10_000)
            let lastStarted = ticks.first { $0.runID != nil }
            var lastStatus: String?
            if let run = lastStarted?.runID {
                do {
                    lastStatus = try await store.snapshot(run: run).run.status.rawValue
                } catch {
                    logger.debug("cannot read a schedule's last run", metadata: ["schedule": "\(schedule.name)", "error": "\(error)"])
                }
            }
            let paused = state?.paused ?? false
            summaries.append(ScheduleSummary(
                name: schedule.name, workflow: schedule.workflow, trigger: schedule.triggerDescription, origin: entry.origin,
                overlap: schedule.overlap.rawValue, paused: paused, pausedReason: state?.pausedReason,
                nextFire: paused ? nil : schedule.nextTick(after: max(now, state?.lastTick ?? now)),
                lastTick: state?.lastTick, lastRun: lastStarted?.runID, lastRunStatus: lastStatus,
                missed: ticks.filter { $0.outcome == .missed }.count, skipped: ticks.filter { $0.outcome == .skipped }.count,
                consecutiveFailures: state?.consecutiveFailures ?? 0
            ))
        }
        return summaries
    }

    /// Pauses or resumes a schedule. Ticks while paused are not started (nor reported missed):
    /// a resumed schedule goes on from its next tick.
    public func setPaused(_ name: String, paused: Bool, reason: String?) async throws(SchedulerError) {
        let now = clock.now
        let entries = await scheduledWorkflows(now: now, reload: true)
        guard entries.contains(where: { $0.schedule.name == name }) else {
            throw .unknownSchedule(name, known: entries.map(\.schedule.name))
        }
        do {
            try await store.setPaused(name, paused: paused, reason: reason ?? (paused ? "paused by hand" : nil))
            if !paused { try await store.updateSchedule(name, lastTick: now, consecutiveFailures: 0) }
        } catch {
            throw .store(error)
        }
        cacheLoadedAt = .distantPast
        poke()
    }

    /// Adds a schedule at run time (kept in the store, so it survives restarts).
    public func add(_ spec: ScheduleSpec) async throws(SchedulerError) {
        do {
            _ = try spec.schedule()
        } catch {
            throw .invalid(error.description)
        }
        do {
            _ = try await registry.current(spec.workflow)
        } catch {
            throw .invalid("\(error)")
        }
        if await scheduledWorkflows(now: clock.now, reload: true).contains(where: { $0.schedule.name == spec.name && $0.origin == .file }) {
            throw .invalid("schedule '\(spec.name)' is declared in a workflow file; change it there")
        }
        let source: String
        do {
            source = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        } catch {
            throw .invalid("cannot store the schedule: \(error)")
        }
        var record = ScheduleRecord(name: spec.name, workflow: spec.workflow, origin: .added, source: source)
        record.lastTick = clock.now
        do {
            _ = try await store.ensureSchedule(record)
        } catch {
            throw .store(error)
        }
        cacheLoadedAt = .distantPast
        poke()
    }

    /// Removes a schedule added at run time.
    public func remove(_ name: String) async throws(SchedulerError) {
        let entries = await scheduledWorkflows(now: clock.now, reload: true)
        guard let entry = entries.first(where: { $0.schedule.name == name }) else { throw .unknownSchedule(name, known: entries.map(\.schedule.name)) }
        guard entry.origin == .added else {
            throw .invalid("schedule '\(name)' is declared in \(entry.definition.file):\(entry.definition.line); remove it there")
        }
        do {
            try await store.removeSchedule(name)
        } catch {
            throw .store(error)
        }
        cacheLoadedAt = .distantPast
    }
}

extension Scheduler: Service {
    /// Fires ticks until a graceful shutdown or cancellation (a tick being started finishes
    /// starting).
    public func run() async {
        await cancelWhenGracefulShutdown { await self.runLoop() }
        logger.debug("scheduler stopped")
    }
}
