import ColonyCore
import ColonyWorkflow
import Foundation
import GRDB

/// One version of a workflow definition, kept as its canonical source.
public struct DefinitionRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "workflow_definitions"
    public var id: Int64?
    public var name: String
    public var fingerprint: String
    public var source: String
    public var createdAt: Date
    /// Its number among the workflow's versions: 1 for the first content stored under the
    /// name, then 2, 3… (`id` counts across every workflow).
    public var version: Int

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The definition its source holds, numbered with its version: what every store returns
    /// for a stored version.
    public func definition() throws(StoreError) -> WorkflowDefinition {
        var parser = WorkflowParser()
        guard var definition = parser.parse(source, file: "store:\(name)@\(fingerprint)").first else {
            throw .database("stored definition \(id.map(String.init) ?? "-") does not parse: \(parser.errors)")
        }
        definition.storedVersion = version
        return definition
    }
}

/// A definition as the store keeps it: its row and its number among the workflow's versions.
public struct StoredVersion: Sendable, Hashable {
    public var id: Int64
    public var number: Int

    public init(id: Int64, number: Int) {
        self.id = id
        self.number = number
    }
}

/// A workflow run.
public struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
    public var id: RunID
    public var workflow: String
    public var definitionID: Int64
    /// The definition's number among the workflow's versions (what people see as "version").
    public var version: Int?
    public var status: RunStatus
    public var input: JSONValue
    public var output: JSONValue?
    public var errorCode: ErrorCode?
    public var errorMessage: String?
    public var priority: Int
    /// For runs started by a schedule: its name and the tick's time; unique together.
    public var scheduleID: String?
    public var scheduledAt: Date?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// For child runs: the run and step that started them.
    public var parentRunID: RunID?
    public var parentStepID: StepID?
    /// For a retry (`colony workflow retry`): the run it retries.
    public var retryOf: RunID?
    /// Labels given at submission (`--tag env=prod`), searchable in history.
    public var tags: [String: String]?

    public init(
        id: RunID, workflow: String, definitionID: Int64, version: Int? = nil, status: RunStatus = .pending, input: JSONValue,
        priority: Int = 0, scheduleID: String? = nil, scheduledAt: Date? = nil, createdAt: Date = Date(),
        parentRunID: RunID? = nil, parentStepID: StepID? = nil, retryOf: RunID? = nil, tags: [String: String]? = nil
    ) {
        self.retryOf = retryOf
        self.tags = tags
        self.parentRunID = parentRunID
        self.parentStepID = parentStepID
        self.id = id
        self.workflow = workflow
        self.definitionID = definitionID
        self.version = version
        self.status = status
        self.input = input
        self.priority = priority
        self.scheduleID = scheduleID
        self.scheduledAt = scheduledAt
        self.createdAt = createdAt
    }

    /// Wall time from start to finish, if both happened.
    public var duration: TimeInterval? {
        guard let startedAt, let finishedAt else { return nil }
        return finishedAt.timeIntervalSince(startedAt)
    }
}

/// The current state of one step of a run.
public struct StepRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "steps"
    public var runID: RunID
    public var stepID: StepID
    public var status: StepStatus
    public var attempts: Int
    public var output: JSONValue?
    public var errorCode: ErrorCode?
    public var errorMessage: String?
    public var updatedAt: Date

    public init(runID: RunID, stepID: StepID, status: StepStatus, attempts: Int = 0, updatedAt: Date = Date()) {
        self.runID = runID
        self.stepID = stepID
        self.status = status
        self.attempts = attempts
        self.updatedAt = updatedAt
    }
}

/// One attempt of one step: what was sent, to whom, what came back.
public struct AttemptRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "step_attempts"
    public var runID: RunID
    public var stepID: StepID
    public var attempt: Int
    /// (run, step, attempt): agents de-duplicate deliveries with it.
    public var idempotencyKey: String
    public var agent: String?
    /// The agent instance the broker gave the attempt to, recorded before it ran there: a
    /// re-sent attempt goes back to it.
    public var instance: InstanceID?
    public var input: JSONValue
    public var output: JSONValue?
    public var status: StepStatus
    public var errorCode: ErrorCode?
    public var errorMessage: String?
    public var startedAt: Date
    public var finishedAt: Date?

    /// The key of attempt `attempt` of `step` in `run`: `RUN/STEP/ATTEMPT`.
    /// Copied into one buffer: every dispatch makes one, and interpolation or `String.append`
    /// cost several times as much.
    public static func idempotencyKey(run: RunID, step: StepID, attempt: Int) -> String {
        let run = run.rawValue.utf8, step = step.rawValue.utf8, number = String(attempt).utf8
        return String(unsafeUninitializedCapacity: run.count + step.count + number.count + 2) { key in
            var end = key.initialize(fromContentsOf: run)
            key[end] = UInt8(ascii: "/")
            end = key[(end + 1)...].initialize(fromContentsOf: step)
            key[end] = UInt8(ascii: "/")
            return key[(end + 1)...].initialize(fromContentsOf: number)
        }
    }

    public init(runID: RunID, stepID: StepID, attempt: Int, input: JSONValue, startedAt: Date = Date()) {
        self.init(runID: runID, stepID: stepID, attempt: attempt, idempotencyKey: Self.idempotencyKey(run: runID, step: stepID, attempt: attempt),
                  input: input, startedAt: startedAt)
    }

    /// With the key as stored (the stores' readers).
    init(runID: RunID, stepID: StepID, attempt: Int, idempotencyKey: String, input: JSONValue, startedAt: Date) {
        self.runID = runID
        self.stepID = stepID
        self.attempt = attempt
        self.idempotencyKey = idempotencyKey
        self.input = input
        self.status = .dispatched
        self.startedAt = startedAt
    }
}

/// A handler an agent did not run because the run had ended (failed, cancelled, completed).
public struct SkipRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "skipped_handlers"
    public var id: Int64?
    public var runID: RunID
    public var agent: String
    public var handler: String
    /// How the run had ended.
    public var status: RunStatus
    public var reason: String
    public var at: Date

    public init(runID: RunID, agent: String, handler: String, status: RunStatus, reason: String, at: Date) {
        self.runID = runID
        self.agent = agent
        self.handler = handler
        self.status = status
        self.reason = reason
        self.at = at
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One entry of a run's transition log, in order.
public struct TransitionRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "transitions"
    public var sequence: Int64?
    public var runID: RunID
    /// nil for transitions of the run itself.
    public private(set) var stepID: StepID?
    /// The statuses as stored: a `RunStatus`'s or a `StepStatus`'s raw value (see `change`).
    public private(set) var from: String?
    public private(set) var to: String
    public var detail: String?
    public var at: Date

    /// What moved, typed: the run, or one of its steps.
    public enum Change: Sendable, Hashable {
        case run(from: RunStatus?, to: RunStatus)
        case step(StepID, from: StepStatus?, to: StepStatus)
    }

    public init(runID: RunID, change: Change, detail: String? = nil, at: Date) {
        self.runID = runID
        switch change {
        case .run(let from, let to):
            (stepID, self.from, self.to) = (nil, from?.rawValue, to.rawValue)
        case .step(let step, let from, let to):
            (stepID, self.from, self.to) = (step, from?.rawValue, to.rawValue)
        }
        self.detail = detail
        self.at = at
    }

    /// The transition, typed; nil when a stored status is not one this version knows.
    public var change: Change? {
        if let stepID {
            guard let to = StepStatus(rawValue: to) else { return nil }
            let from = self.from.flatMap(StepStatus.init(rawValue:))
            return self.from != nil && from == nil ? nil : .step(stepID, from: from, to: to)
        }
        guard let to = RunStatus(rawValue: to) else { return nil }
        let from = self.from.flatMap(RunStatus.init(rawValue:))
        return self.from != nil && from == nil ? nil : .run(from: from, to: to)
    }

    /// A row as stored, field by field (the stores read them by column index).
    init(sequence: Int64?, runID: RunID, stepID: StepID?, from: String?, to: String, detail: String?, at: Date) {
        (self.sequence, self.runID, self.stepID, self.from, self.to, self.detail, self.at) = (sequence, runID, stepID, from, to, detail, at)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }
}

/// A signal sent to a run (`colony workflow signal`): kept until a step waiting for its name
/// takes it (`stepID` set then), so a signal sent before its step is reached is not lost.
public struct SignalRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "signals"
    /// Unique per signal (made by the engine), so a batch can refer to it before and after it is stored.
    public var id: String
    public var runID: RunID
    public var name: String
    /// The data sent with it, as sent; the step's output.
    public var data: JSONValue?
    public var sentAt: Date
    /// The step that took it, once one did.
    public var stepID: StepID?
    public var deliveredAt: Date?

    public init(id: String, runID: RunID, name: String, data: JSONValue?, sentAt: Date, stepID: StepID? = nil, deliveredAt: Date? = nil) {
        self.id = id
        self.runID = runID
        self.name = name
        self.data = data
        self.sentAt = sentAt
        self.stepID = stepID
        self.deliveredAt = deliveredAt
    }

    public enum Columns {
        public static let runID = Column(CodingKeys.runID)
        public static let sentAt = Column(CodingKeys.sentAt)
    }
}
