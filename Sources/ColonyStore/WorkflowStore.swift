import ColonyCore
import ColonyWorkflow
import Foundation

/// Why the store refused or failed an operation.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A run with this schedule identity (schedule, scheduled time) exists already.
    case duplicateScheduledRun(schedule: String, at: Date)
    case runNotFound(RunID)
    case definitionNotFound(Int64)
    case scheduleNotFound(String)
    /// The transition does not start from the state the store holds (someone else moved it).
    case staleTransition(run: RunID, step: StepID?, expected: String?, actual: String?)
    /// A row with the same key exists already (a UNIQUE or PRIMARY KEY constraint).
    case duplicateKey(String)
    /// A fenced write after another holder took the lease: the writer must stop acting.
    case superseded(lease: String, term: Int64, by: String?)
    case database(String)

    public var description: String {
        switch self {
        case .duplicateScheduledRun(let schedule, let at): return "schedule \(schedule) already started a run for \(at)"
        case .runNotFound(let id): return "no run \(id)"
        case .definitionNotFound(let id): return "no workflow definition version \(id)"
        case .scheduleNotFound(let name): return "no schedule '\(name)'"
        case .staleTransition(let run, let step, let expected, let actual):
            return "run \(run)\(step.map { " step \($0)" } ?? ""): expected state \(expected ?? "none"), found \(actual ?? "none")"
        case .duplicateKey(let message): return "already stored: \(message)"
        case .superseded(let lease, let term, let by):
            return "the \(lease) lease of term \(term) was taken over\(by.map { " by \($0)" } ?? ""): this writer must stop"
        case .database(let message): return "database error: \(message)"
        }
    }
}

extension StoreError {
    /// Whether the write was refused because another holder took the lease.
    public var isSupersession: Bool {
        if case .superseded = self { return true }
        return false
    }
}

/// A run with its steps and attempts: what `colony workflow show` prints and what the engine
/// resumes from.
public struct RunSnapshot: Sendable, Hashable {
    public var run: RunRecord
    public var steps: [StepRecord]
    public var attempts: [AttemptRecord]
    public var transitions: [TransitionRecord]
    /// Signals sent to the run, oldest first, taken or not.
    public var signals: [SignalRecord]

    public init(run: RunRecord, steps: [StepRecord], attempts: [AttemptRecord], transitions: [TransitionRecord], signals: [SignalRecord] = []) {
        self.run = run
        self.steps = steps
        self.attempts = attempts
        self.transitions = transitions
        self.signals = signals
    }
}

/// Figures behind `colony workflow stats NAME`.
public struct WorkflowStatistics: Sendable, Hashable, Codable {
    public var workflow: String
    public var runs: Int
    public var completed: Int
    public var failed: Int
    public var cancelled: Int
    public var running: Int
    /// completed / (completed + failed + cancelled), or nil when none finished.
    public var successRate: Double?
    public var p50DurationSeconds: Double?
    public var p95DurationSeconds: Double?
    /// The most common (error code, count) of failed runs, most frequent first.
    public var topFailures: [FailureCount]

    public struct FailureCount: Sendable, Hashable, Codable {
        public var code: String
        public var count: Int

        public init(code: String, count: Int) {
            self.code = code
            self.count = count
        }
    }
}

extension WorkflowStatistics {
    /// The figures of `runs` (all the runs of `workflow`).
    public init(of runs: [RunRecord], workflow: String) {
        func count(_ status: RunStatus) -> Int { runs.filter { $0.status == status }.count }
        let finished = count(.completed) + count(.failed) + count(.cancelled)
        let durations = runs.filter { $0.status == .completed }.compactMap(\.duration).sorted()
        func percentile(_ fraction: Double) -> Double? {
            guard !durations.isEmpty else { return nil }
            return durations[min(durations.count - 1, Int((Double(durations.count) * fraction).rounded(.up)) - 1)]
        }
        var failures: [String: Int] = [:]
        for run in runs where run.status == .failed { failures[run.errorCode?.rawValue ?? "unknown", default: 0] += 1 }
        self.init(
            workflow: workflow, runs: runs.count, completed: count(.completed), failed: count(.failed),
            cancelled: count(.cancelled), running: count(.running) + count(.pending) + count(.paused),
            successRate: finished == 0 ? nil : Double(count(.completed)) / Double(finished),
            p50DurationSeconds: percentile(0.5), p95DurationSeconds: percentile(0.95),
            topFailures: failures.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
                .map { WorkflowStatistics.FailureCount(code: $0.key, count: $0.value) }
        )
    }
}

/// Filters for `history`.
public struct HistoryQuery: Sendable, Hashable {
    public var workflow: String?
    public var status: RunStatus?
    public var since: Date?
    /// Only runs older than this one (created earlier, or at the same millisecond with a
    /// smaller id): the next page after a page that ended with it.
    public var before: (createdAt: Date, id: RunID)?
    public var limit: Int
    /// Only runs carrying every one of these tags (`RunTags` checked names and values).
    public var tags: [String: String] = [:]

    public init(workflow: String? = nil, status: RunStatus? = nil, since: Date? = nil, before: (createdAt: Date, id: RunID)? = nil, limit: Int = 50,
                tags: [String: String] = [:]) {
        self.tags = tags
        self.workflow = workflow
        self.status = status
        self.since = since
        self.before = before
        self.limit = limit
    }

    public static func == (left: HistoryQuery, right: HistoryQuery) -> Bool {
        left.workflow == right.workflow && left.status == right.status && left.since == right.since && left.limit == right.limit && left.tags == right.tags
            && left.before?.createdAt == right.before?.createdAt && left.before?.id == right.before?.id
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(workflow)
        hasher.combine(status)
        hasher.combine(since)
        hasher.combine(limit)
        hasher.combine(tags)
        hasher.combine(before?.id)
    }
}

extension WorkflowStore {
    /// Creates a pending run and its pending steps.
    public func createRun(_ run: RunRecord, steps: [StepID]) async throws(StoreError) {
        try await createRun(run, steps: steps, kept: [])
    }
}

/// Durable state of workflows. Every state change is one transaction that also appends to the
/// transition log, so the engine can write before it acts and resume after a crash.
/// SQLite is the embedded implementation; PostgreSQL can implement the same protocol.
public protocol WorkflowStore: Sendable {
    /// Stores a definition version (idempotent by name and fingerprint) and returns its id.
    func register(_ definition: WorkflowDefinition) async throws(StoreError) -> StoredVersion
    /// The definition a run started with.
    func definition(id: Int64) async throws(StoreError) -> WorkflowDefinition
    /// The stored versions of workflow `name`, newest first (at most `limit`).
    func versions(of name: String, limit: Int) async throws(StoreError) -> [DefinitionRecord]

    /// Creates a pending run and its steps: pending, except those in `kept`, which start
    /// succeeded with the attempt given (a retry keeps what its old run recorded).
    func createRun(_ run: RunRecord, steps: [StepID], kept: [AttemptRecord]) async throws(StoreError)
    /// Runs that retry `run`, oldest first.
    func retries(of run: RunID) async throws(StoreError) -> [RunRecord]
    /// Applies `changes` in one transaction, in order: all of them or none. A change that does
    /// not start from the state the store holds fails the batch with `staleTransition`. The
    /// transitions are stamped `now` (the engine's clock). Runs on the caller's executor (the
    /// engine's): a store that can write without waiting on I/O (SQLite) does it there, no hops.
    nonisolated(nonsending) func apply(_ changes: [StoreChange], at now: Date) async throws(StoreError)

    /// Records that an agent's gate skipped a handler of a run.
    func recordSkip(_ skip: SkipRecord) async throws(StoreError)
    /// The handlers skipped for `run`, oldest first.
    func skips(run: RunID) async throws(StoreError) -> [SkipRecord]

    func snapshot(run id: RunID) async throws(StoreError) -> RunSnapshot
    /// Runs not yet completed, failed or cancelled (what a restarted engine resumes).
    func unfinishedRuns() async throws(StoreError) -> [RunSnapshot]
    func history(_ query: HistoryQuery) async throws(StoreError) -> [RunRecord]
    /// Runs that failed or were cancelled at or after `since`, oldest end first, at most `limit`.
    func stoppedRuns(since: Date, limit: Int) async throws(StoreError) -> [RunRecord]
    /// The runs started by steps of `run` (child workflows), oldest first.
    func children(of run: RunID) async throws(StoreError) -> [RunRecord]
    func statistics(workflow: String) async throws(StoreError) -> WorkflowStatistics
}

extension WorkflowStore {
    /// Moves a run from `from` to `to`, with its output or error when it ends.
    public func transitionRun(
        _ id: RunID, from: RunStatus, to: RunStatus, output: JSONValue?, error: (code: ErrorCode, message: String)?, detail: String?,
        at now: Date = Date()
    ) async throws(StoreError) {
        try await apply([.run(RunTransition(run: id, from: from, to: to, output: output, errorCode: error?.code, errorMessage: error?.message, detail: detail))],
                        at: now)
    }

    /// Moves a step from `from` to `to`; `attempt` records a new dispatch or its outcome.
    public func transitionStep(
        run: RunID, step: StepID, from: StepStatus?, to: StepStatus, attempt: AttemptRecord?, detail: String?, at now: Date = Date()
    ) async throws(StoreError) {
        try await apply([.step(StepTransition(run: run, step: step, from: from, to: to, attempt: attempt, detail: detail))], at: now)
    }
}

/// The rows a new run starts with, the same in every store: its steps — pending, or succeeded
/// with the output of the attempt a retry keeps — those kept attempts, and the transitions that
/// log the run's creation and each kept step, in that order.
public struct NewRunRows: Sendable {
    public var steps: [StepRecord] = []
    public var attempts: [AttemptRecord] = []
    public var transitions: [TransitionRecord]

    public init(run: RunRecord, steps: [StepID], kept: [AttemptRecord]) {
        transitions = [TransitionRecord(runID: run.id, change: .run(from: nil, to: run.status), detail: "created", at: run.createdAt)]
        let keptByStep = Dictionary(kept.map { ($0.stepID, $0) }, uniquingKeysWith: { first, _ in first })
        for step in steps {
            guard let attempt = keptByStep[step] else {
                self.steps.append(StepRecord(runID: run.id, stepID: step, status: .pending, updatedAt: run.createdAt))
                continue
            }
            var record = StepRecord(runID: run.id, stepID: step, status: .succeeded, updatedAt: run.createdAt)
            record.attempts = attempt.attempt
            record.output = attempt.output
            self.steps.append(record)
            attempts.append(attempt)
            transitions.append(TransitionRecord(runID: run.id, change: .step(step, from: .pending, to: .succeeded),
                                                detail: "kept from run \(run.retryOf?.rawValue ?? "?")", at: run.createdAt))
        }
    }
}
