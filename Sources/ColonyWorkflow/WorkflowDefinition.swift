import ColonySchedule
import ColonyCore

/// A workflow as declared in YAML: inputs, a DAG of capability requests, failure handlers.
public struct WorkflowDefinition: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// The author's version number; the store also fingerprints the definition's content.
    public var version: Int?
    /// The store's number for this content among the workflow's versions (1, 2, …), set when it
    /// was registered in or read from the store; not part of the content or its fingerprint.
    public var storedVersion: Int?
    public var enabled: Bool
    public var inputs: [InputDefinition]
    public var steps: [StepDefinition]
    /// Steps that run only when invoked: compensations (`on_failure: {compensate: ID}`) and
    /// the workflow's error handler (`on_error: ID`).
    public var handlers: [StepDefinition]
    /// The whole run's time limit.
    public var timeout: Duration?
    /// At most this many runs of the workflow at once (others wait in the queue).
    public var maxConcurrentRuns: Int? = nil
    /// The handler that runs when the run fails.
    public var onError: StepID?
    /// The initial shared `context` of a run.
    public var context: [String: JSONValue]
    /// The schedule as written (kept in the stored definition).
    public var schedule: JSONValue?
    /// The schedule as the scheduler uses it.
    public var scheduled: Schedule? = nil
    /// The event trigger as written (kept in the stored definition).
    public var trigger: JSONValue? = nil
    /// The event trigger as the orchestrator uses it.
    public var triggered: EventTrigger? = nil
    /// Where it was declared.
    public var file: String
    public var line: Int

    /// The most steps and handlers one workflow may declare; larger flows are split into
    /// child workflows. Bounds what validation and every run's state may cost.
    public static let maximumSteps = 10_000

    /// The signals the run's steps wait for (`wait_for`), each once, in declaration order.
    public var signals: [String] {
        var seen = Set<String>()
        return (steps + handlers).compactMap { $0.waitFor?.signal }.filter { seen.insert($0).inserted }
    }

    /// The step with `id`, among steps and handlers.
    public func step(_ id: StepID) -> StepDefinition? {
        steps.first { $0.id == id } ?? handlers.first { $0.id == id }
    }
}

/// A declared input: its type, and whether it must be given or has a default.
public struct InputDefinition: Sendable, Hashable {
    public var name: String
    public var type: ValueType
    public var required: Bool
    public var defaultValue: JSONValue?
    public var description: String?
    public var line: Int
    /// A secret (`secret: true`): stored and used, but shown as `***` by every read of a run.
    public var secret = false
}

/// The types inputs can declare.
public enum ValueType: String, Sendable, Hashable, CaseIterable {
    case string, number, integer, boolean, object, array, any

    /// Whether `value` is of this type.
    public func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.any, _), (.string, .string), (.number, .number), (.boolean, .bool), (.object, .object), (.array, .array):
            return true
        case (.integer, .number(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }
}

/// One capability request in a workflow.
public struct StepDefinition: Sendable, Hashable {
    public var id: StepID
    /// A display name (the earlier systems' `name`).
    public var name: String?
    public var capability: String
    /// Only agents of this name (their `name` in agents.yaml or the SDK) serve the step; the
    /// orchestrator addresses one of their instances that offers the capability.
    public var agent: String?
    /// The request body: any JSON value; strings may hold `${…}` references.
    public var params: JSONValue
    public var dependsOn: [StepID]
    public var condition: Condition?
    /// The condition as written, kept for the stored definition and for messages.
    public var conditionText: String?
    public var retry: RetryPolicy
    /// Time limit of one attempt.
    public var timeout: Duration?
    /// Time limit of the step over all its attempts.
    public var overallTimeout: Duration?
    public var onFailure: FailurePolicy
    /// Named resources (semaphores configured in colony.yaml) the step holds while it runs.
    public var resources: [String] = []
    /// How a group of agents serves the step (leader-follower, consensus, auction), if at all.
    public var coordination: StepCoordination? = nil
    /// A child workflow the step runs (with `params` as its input) instead of asking a
    /// capability; the child's output is the step's output, its failure the step's failure.
    public var childWorkflow: String? = nil
    /// The signal the step waits for instead of asking a capability (`wait_for`); the signal's
    /// data is the step's output.
    public var waitFor: SignalWait? = nil
    /// Runs one instance of the step per element of a list (`for_each`).
    public var forEach: ForEach? = nil
    public var line: Int

    /// Every reference in params, condition and `for_each`.
    public var references: [Reference] {
        params.templates.flatMap(\.references) + (condition?.references ?? [])
            + (forEach.flatMap { try? Template.parse($0.items).get() }?.references ?? [])
    }
}

/// A step that waits for a signal sent to its run (an approval, a person's decision):
/// `wait_for: {signal: approve, timeout: 24h}`.
public struct SignalWait: Sendable, Hashable {
    /// The signal's name.
    public var signal: String
    /// How long the step waits from when it is reached; it then fails with `timeout`.
    public var timeout: Duration?

    public init(signal: String, timeout: Duration? = nil) {
        self.signal = signal
        self.timeout = timeout
    }

    /// The capability a waiting step shows in lists and logs.
    public var capability: String { "signal:\(signal)" }
}

/// Starts a run for each matching event on the bus:
/// `trigger: {event: orders.shipped, when: "${event.total} > 100", input: {order: "${event.id}"}, dedupe: "${event.id}"}`.
public struct EventTrigger: Sendable, Hashable {
    /// The topic (`orders.shipped`), or a prefix ending in `.*` (`orders.*`).
    public var event: String
    /// Only events for which this holds start a run.
    public var when: Condition?
    public var whenText: String?
    /// The run's input: values may hold `${event.PATH}` templates.
    public var input: JSONValue
    /// A template whose value identifies the event: one run per value, ever.
    public var dedupe: String?

    public init(event: String, when: Condition? = nil, whenText: String? = nil, input: JSONValue = .object([:]), dedupe: String? = nil) {
        self.event = event
        self.when = when
        self.whenText = whenText
        self.input = input
        self.dedupe = dedupe
    }

    /// Whether an event with `topic` is one this trigger listens to.
    public func matches(_ topic: String) -> Bool {
        event.hasSuffix(".*") ? topic.hasPrefix(String(event.dropLast())) : topic == event
    }

    /// The subscription prefix for the broker (`orders.` for `orders.*`).
    public var subscription: String { event.hasSuffix(".*") ? String(event.dropLast()) : event }
}

/// `for_each: "${input.symbols}"` with `as: symbol` and `max_parallel: N`: one instance of the
/// step per element (its params read the element as `${symbol}`), at most N at once; the
/// step's output is the list of the instances' outputs in input order.
public struct ForEach: Sendable, Hashable {
    /// What a failed element does to the step.
    public enum ElementFailure: String, Sendable, Hashable, CaseIterable {
        /// The step fails with the first element that fails for good; the others are cancelled.
        case failFast = "fail_fast"
        /// Every element runs; failed ones are `{"error": {"code", "message"}}` in the output.
        case `continue`
    }

    /// The list, as a template that is one reference (`${input.symbols}`).
    public var items: String
    /// The name the params use for the element (rewritten to `${item…}` when parsed).
    public var name: String
    public var maxParallel: Int?
    public var onElementFailure: ElementFailure

    /// The most elements one step may fan out to.
    public static let maximumElements = 10_000

    public init(items: String, name: String = "item", maxParallel: Int? = nil, onElementFailure: ElementFailure = .failFast) {
        self.items = items
        self.name = name
        self.maxParallel = maxParallel
        self.onElementFailure = onElementFailure
    }

    /// The id of instance `index` of step `step`: `step[index]`.
    public static func instance(_ step: StepID, _ index: Int) -> StepID { StepID("\(step)[\(index)]") }
}

/// Temporal's retry policy fields.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int = 1
    public var initialInterval: Duration = .seconds(1)
    public var backoffCoefficient: Double = 2
    public var maxInterval: Duration = .seconds(100)
    /// A fraction (0…1) of each delay added or removed at random.
    public var jitter: Double = 0
    /// Error codes that fail the step at once, without retrying.
    public var nonRetryableErrorCodes: [String] = []

    public init() {}

    /// The delay before attempt `attempt + 1`, without jitter.
    public func delay(after attempt: Int) -> Duration {
        .backoff(initial: initialInterval, multiplier: backoffCoefficient, max: maxInterval, attempt: attempt)
    }
}

/// What a failed step does to its run.
public enum FailurePolicy: Sendable, Hashable {
    /// Fail the run (the default).
    case fail
    /// Carry on; dependents see the failure (`steps.ID.status == 'failed'`) and may branch on it.
    case `continue`
    /// Run the handler step `ID`, then fail the run.
    case compensate(StepID)
}

extension JSONValue {
    /// The templates in every string of this value.
    var templates: [Template] {
        switch self {
        case .string(let text):
            return (try? Template.parse(text).get()).map { [$0] } ?? []
        case .array(let items): return items.flatMap(\.templates)
        case .object(let fields): return fields.keys.sorted().flatMap { fields[$0]!.templates }
        default: return []
        }
    }
}

/// A step served by a group of agents acting as one.
public struct StepCoordination: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// The group's current leader serves the step, under its term.
        case leaderFollower = "leader_follower"
        /// Every member votes on the step's params; the rule decides.
        case consensus
        /// Contract net: members bid (`CAPABILITY.bid`), the best bid does the task.
        case auction
        /// A sync point: every member gets the request; the step succeeds once `count` report.
        case barrier
    }

    /// Consensus rules.
    public enum Rule: String, Sendable, Hashable, CaseIterable {
        case majority, unanimous, weighted
    }

    /// Who may vote in a consensus round. Members absent when the round opens count as not
    /// voting, so a majority of a declared electorate cannot shrink with the live membership.
    public enum Electorate: Sendable, Hashable {
        /// N seats: the live members take theirs, the rest are absent.
        case size(Int)
        /// These instance ids.
        case members([InstanceID])
        /// Whoever is connected when the round opens (an explicit choice: dead members then
        /// no longer count, so 2 live of 5 can decide a majority).
        case live
    }

    public var mode: Mode
    /// A named group (agents.yaml `groups:`) or a capability; its members take part.
    public var group: GroupName
    /// Consensus: how the votes decide; `threshold` (0…1) for `weighted`, and member weights
    /// by instance id (1 when not listed).
    public var rule: Rule = .majority
    public var threshold: Double = 0.5
    public var weights: [InstanceID: Double] = [:]
    /// Consensus: the declared electorate; when nil, the orchestrator's declaration for the
    /// group (`orchestrator.electorates`, or agents.yaml replicas of the group) applies.
    public var electorate: Electorate?
    /// Auction: how long bids are taken, which cost wins, and how many rounds before giving up
    /// (a winner that fails or times out is excluded from the next round).
    public var bidDeadline: Duration = .seconds(1)
    public var preferHighest = false
    public var maxRounds = 3
    /// Barrier: how many members must report (all members when nil).
    public var count: Int?

    public init(mode: Mode, group: GroupName) {
        self.mode = mode
        self.group = group
    }
}
