import ColonyEngine
import ColonyCore
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

/// The orchestrator's bus interface: capability names and the JSON bodies they take and
/// return. `colony workflow …` in any shell talks to the orchestrator through these.
public enum OrchestratorAPI {
    public static let list = "colony.workflow.list"
    public static let run = "colony.workflow.run"
    public static let show = "colony.workflow.show"
    public static let wait = "colony.workflow.wait"
    public static let history = "colony.workflow.history"
    public static let stats = "colony.workflow.stats"
    public static let cancel = "colony.workflow.cancel"
    public static let versions = "colony.workflow.versions"
    /// Sends a signal to a run (a step's `wait_for`): `SignalRequest` → `SignalReceipt`.
    public static let signal = "colony.workflow.signal"
    /// Retries an ended run (`RetryRequest` → the new `RunRecord`).
    public static let retry = "colony.workflow.retry"

    /// `colony.workflow.retry`: the run to retry, the steps to run again (default: the ones that
    /// did not succeed; their downstream runs again too), a new input, and whether to use the
    /// workflow's latest version instead of the run's own.
    public struct RetryRequest: Codable, Sendable {
        public var run: RunID
        public var from: [StepID]?
        public var input: JSONValue?
        public var latest: Bool?

        public init(run: RunID, from: [StepID]? = nil, input: JSONValue? = nil, latest: Bool? = nil) {
            self.run = run
            self.from = from
            self.input = input
            self.latest = latest
        }
    }

    /// Pauses a running run (`RunReference` → `RunRecord`): nothing new is dispatched.
    public static let pause = "colony.workflow.pause"
    /// Resumes a paused run (`RunReference` → `RunRecord`).
    public static let resume = "colony.workflow.resume"

    /// `colony.workflow.signal`: the run, the signal's name, and its data (the step's output).
    public struct SignalRequest: Codable, Sendable {
        public var run: RunID
        public var signal: String
        public var data: JSONValue?

        public init(run: RunID, signal: String, data: JSONValue? = nil) {
            self.run = run
            self.signal = signal
            self.data = data
        }
    }

    public typealias SignalReceipt = ColonyEngine.SignalReceipt

    /// `colony.workflow.versions`: a workflow's stored versions, newest first, with their source.
    public struct VersionsRequest: Codable, Sendable {
        public var workflow: String
        public var limit: Int?

        public init(workflow: String, limit: Int? = nil) {
            self.workflow = workflow
            self.limit = limit
        }
    }

    public struct Version: Codable, Sendable {
        public var version: Int64
        public var fingerprint: String
        public var createdAt: Date
        /// The definition as stored (canonical YAML).
        public var source: String
    }

    public typealias WorkflowSummary = ColonyEngine.WorkflowSummary
    public typealias ListReply = WorkflowList

    public struct RunRequest: Codable, Sendable {
        public var workflow: String
        public var input: JSONValue?
        public var priority: Int?
        /// The run's id, chosen by the caller (`--id KEY`): submitting again with the same id
        /// returns the run it started instead of starting another.
        public var id: RunID?
        /// Labels to search history by (`--tag env=prod`).
        public var tags: [String: String]?

        public init(workflow: String, input: JSONValue?, priority: Int?, id: RunID? = nil, tags: [String: String]? = nil) {
            self.workflow = workflow
            self.input = input
            self.priority = priority
            self.id = id
            self.tags = tags
        }
    }

    /// `colony.workflow.run`'s reply: the run, and whether it existed already (a repeated
    /// submission with the same id). Encodes as the run's fields plus `existing`.
    public struct StartedRun: Codable, Sendable {
        public var run: RunRecord
        public var existing: Bool

        public init(run: RunRecord, existing: Bool) {
            self.run = run
            self.existing = existing
        }

        enum Key: String, CodingKey { case existing }

        public init(from decoder: any Decoder) throws {
            run = try RunRecord(from: decoder)
            existing = try decoder.container(keyedBy: Key.self).decodeIfPresent(Bool.self, forKey: .existing) ?? false
        }

        public func encode(to encoder: any Encoder) throws {
            try run.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(existing, forKey: .existing)
        }
    }

    /// Names one run.
    public struct RunReference: Codable, Sendable {
        public var run: RunID
        public var reason: String?

        public init(run: RunID, reason: String? = nil) {
            self.run = run
            self.reason = reason
        }
    }

    /// A run with its steps, attempts and transitions, and what it waits for.
    public struct RunDetail: Codable, Sendable {
        public var run: RunRecord
        public var steps: [StepRecord]
        public var attempts: [AttemptRecord]
        public var transitions: [TransitionRecord]
        /// Why an unfinished run is not done yet.
        public var waiting: [String]
        /// Handlers that agents' failure gates skipped for this run, and where.
        public var skipped: [SkipRecord]
        /// Runs its steps started as child workflows (each with its own `colony workflow show`).
        public var children: [RunRecord]
        /// Runs that retry this one (`colony workflow retry`), oldest first; the run it retries
        /// is `run.retryOf`.
        public var retries: [RunRecord]?
    }

    public struct WaitRequest: Codable, Sendable {
        public var run: RunID
        /// The last transition sequence number the caller has seen.
        public var after: Int64
        public var timeoutSeconds: Double?

        public init(run: RunID, after: Int64, timeoutSeconds: Double? = nil) {
            self.run = run
            self.after = after
            self.timeoutSeconds = timeoutSeconds
        }
    }

    public struct WaitReply: Codable, Sendable {
        public var run: RunRecord
        /// Transitions after the caller's `after`, in order.
        public var transitions: [TransitionRecord]
    }

    public struct HistoryRequest: Codable, Sendable {
        public var workflow: String?
        public var status: RunStatus?
        public var since: Date?
        public var limit: Int?
        /// The next page: runs older than the run with this id, created at this time.
        public var beforeRun: RunID?
        public var beforeCreatedAt: Date?
        /// Only runs with all these tags.
        public var tags: [String: String]?

        public init(workflow: String?, status: RunStatus?, since: Date?, limit: Int?, beforeRun: RunID? = nil, beforeCreatedAt: Date? = nil,
                    tags: [String: String]? = nil) {
            self.tags = tags
            self.workflow = workflow
            self.status = status
            self.since = since
            self.limit = limit
            self.beforeRun = beforeRun
            self.beforeCreatedAt = beforeCreatedAt
        }
    }

    public struct HistoryReply: Codable, Sendable {
        public var runs: [RunRecord]
    }

    public struct StatsRequest: Codable, Sendable {
        public var workflow: String

        public init(workflow: String) { self.workflow = workflow }
    }

    /// Error codes the orchestrator answers with.
    public enum Codes {
        public static let unknownWorkflow = "unknown_workflow"
        public static let invalidInput = "invalid_input"
        public static let unknownRun = "unknown_run"
        public static let disabled = "workflow_disabled"
        /// The run has ended (cancel, signal).
        public static let alreadyFinished = "already_finished"
        /// No step of the run's workflow waits for a signal of that name.
        public static let unknownSignal = "unknown_signal"
        /// Every step that waits for the signal is done.
        public static let signalNotAwaited = "signal_not_awaited"
        /// Retry: the run has not ended; a step it names does not exist; nothing to run again.
        public static let notFinished = "not_finished"
        public static let unknownStep = "unknown_step"
        /// A run id chosen at submission is taken by a run of another workflow.
        public static let runExists = "run_exists"
        public static let nothingToRetry = "nothing_to_retry"
        /// Pause: the run is not running (or is failing). Resume: it is not paused.
        public static let notRunning = "not_running"
        public static let notPaused = "not_paused"
        public static let store = ErrorCode.storeError.rawValue
    }
}
