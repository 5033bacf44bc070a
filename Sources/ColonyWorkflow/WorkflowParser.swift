import ColonyCore
import ColonyYAML
import Foundation

/// Reads workflow definitions from YAML, collecting every problem with file and line.
///
/// A file holds either `workflows:` (a list) or a single workflow at top level (the form used
/// for files under `configs/workflows/`).
public struct WorkflowParser {
    public private(set) var errors: [ConfigError] = []
    /// Workflows with problems, as far as they could be read (a step with a problem kept as far
    /// as it could be read too): never runnable, but checked further, so one validation pass
    /// reports the problems of the whole file rather than stopping at the first in a workflow.
    public private(set) var incomplete: [WorkflowDefinition] = []

    static let workflowKeys = ["name", "description", "version", "enabled", "inputs", "steps", "handlers",
                               "timeout", "on_error", "context", "schedule", "max_concurrent_runs", "trigger"]
    static let stepKeys = ["id", "name", "capability", "agent", "params", "depends_on", "condition", "retry",
                           "timeout", "overall_timeout", "on_failure", "resources", "coordination", "workflow", "wait_for", "for_each", "as", "max_parallel", "on_element_failure"]
    static let inputKeys = ["type", "required", "default", "description", "secret"]
    static let retryKeys = ["max_attempts", "initial_interval", "backoff_coefficient", "max_interval", "jitter",
                            "non_retryable_errors"]

    public init() {}

    /// Parses one file's text; problems go to `errors`, the well-formed workflows are returned.
    public mutating func parse(_ text: String, file: String) -> [WorkflowDefinition] {
        let root: YAMLMapping
        do {
            root = try YAMLMapping.parse(text, file: file)
        } catch {
            errors.append(error)
            return []
        }
        if root.keys.contains("workflows") {
            let entries = value { () throws(ConfigError) -> [YAMLMapping]? in
                try root.rejectUnknownKeys(["workflows"], in: "a workflows file")
                return try root.mappings("workflows")
            } ?? []
            return entries.compactMap { workflow($0) }
        }
        return workflow(root).map { [$0] } ?? []
    }

    /// Runs `body` and flattens its optional result, recording a thrown error instead of stopping.
    private mutating func value<T>(_ body: () throws(ConfigError) -> T?) -> T? {
        collect(body) ?? nil
    }

    /// Runs `body`, recording a thrown error instead of stopping.
    private mutating func collect<T>(_ body: () throws(ConfigError) -> T) -> T? {
        do {
            return try body()
        } catch {
            errors.append(error)
            return nil
        }
    }

    private mutating func fail(_ mapping: YAMLMapping, _ key: String?, _ message: String, hint: String? = nil) {
        errors.append(ConfigError(file: mapping.file, line: key.flatMap { mapping.line(of: $0) } ?? mapping.line, message: message, hint: hint))
    }

    private mutating func workflow(_ mapping: YAMLMapping) -> WorkflowDefinition? {
        let errorCount = errors.count
        _ = collect { () throws(ConfigError) in try mapping.rejectUnknownKeys(Self.workflowKeys, in: "a workflow") }
        guard let name = value({ () throws(ConfigError) in try mapping.string("name") }), !name.isEmpty else {
            fail(mapping, nil, "every workflow needs a 'name'")
            return nil
        }
        var definition = WorkflowDefinition(
            name: name, description: nil, version: nil, enabled: true, inputs: [], steps: [], handlers: [],
            timeout: nil, onError: nil, context: [:], schedule: nil, file: mapping.file, line: mapping.line ?? 0
        )
        definition.description = value({ () throws(ConfigError) in try mapping.string("description") })
        definition.version = value({ () throws(ConfigError) in try mapping.integer("version", in: 1...Int.max) })
        if let enabled = value({ () throws(ConfigError) in try mapping.choice("enabled", from: ["true", "false"]) }) {
            definition.enabled = enabled == "true"
        }
        definition.timeout = value({ () throws(ConfigError) in try mapping.duration("timeout") })
        definition.maxConcurrentRuns = value({ () throws(ConfigError) in try mapping.integer("max_concurrent_runs", in: 1...100_000) })
        definition.onError = value({ () throws(ConfigError) in try mapping.string("on_error") }).map(StepID.init(rawValue:))
        if let (node, _) = mapping.node("context") {
            if case .object(let fields) = JSONValue(yaml: node) { definition.context = fields }
            else { fail(mapping, "context", "'context' must be a mapping") }
        }
        definition.schedule = mapping.node("schedule").map { JSONValue(yaml: $0.node) }
        if let schedule = value({ () throws(ConfigError) in try mapping.mapping("schedule") }) {
            definition.scheduled = collect { () throws(ConfigError) in try ScheduleParser.parse(schedule, workflow: name) }
        }
        if let inputs = value({ () throws(ConfigError) in try mapping.mapping("inputs") }) {
            definition.inputs = inputs.keys.compactMap { input($0, in: inputs) }
        }
        definition.trigger = mapping.node("trigger").map { JSONValue(yaml: $0.node) }
        if let trigger = value({ () throws(ConfigError) in try mapping.mapping("trigger") }) {
            definition.triggered = collect { () throws(ConfigError) in try TriggerParser.parse(trigger, workflow: name, inputs: definition.inputs) }
        }
        let steps = value({ () throws(ConfigError) in try mapping.mappings("steps") })
        if steps?.isEmpty ?? true { fail(mapping, steps == nil ? nil : "steps", "workflow '\(name)' has no steps") }
        definition.steps = (steps ?? []).compactMap { step($0) }
        definition.handlers = (value({ () throws(ConfigError) in try mapping.mappings("handlers") }) ?? []).compactMap { step($0) }
        guard errors.count == errorCount else {
            incomplete.append(definition)
            return nil
        }
        return definition
    }

    private mutating func input(_ name: String, in inputs: YAMLMapping) -> InputDefinition? {
        let line = inputs.line(of: name) ?? 0
        guard let (node, _) = inputs.node(name) else { return nil }
        // `name: number` is short for `name: {type: number}`.
        if case .scalar(let scalar) = node {
            guard let type = ValueType(rawValue: scalar.string) else {
                errors.append(ConfigError(file: inputs.file, line: line, message: "input '\(name)' has unknown type '\(scalar.string)'",
                                          hint: didYouMean(scalar.string, in: ValueType.allCases.map(\.rawValue))))
                return nil
            }
            return InputDefinition(name: name, type: type, required: true, defaultValue: nil, description: nil, line: line)
        }
        guard let spec = value({ () throws(ConfigError) in try inputs.mapping(name) }) else { return nil }
        _ = collect { () throws(ConfigError) in try spec.rejectUnknownKeys(Self.inputKeys, in: "input '\(name)'") }
        let typeName = value({ () throws(ConfigError) in try spec.choice("type", from: ValueType.allCases.map(\.rawValue)) })
        let type = typeName.flatMap(ValueType.init(rawValue:)) ?? .any
        let defaultValue = spec.node("default").map { JSONValue(yaml: $0.node) }
        if let defaultValue, !type.accepts(defaultValue) {
            fail(spec, "default", "the default of input '\(name)' is a \(defaultValue.typeName), not a \(type.rawValue)")
        }
        let required = (value({ () throws(ConfigError) in try spec.choice("required", from: ["true", "false"]) })).map { $0 == "true" }
        var input = InputDefinition(
            name: name, type: type, required: required ?? (defaultValue == nil), defaultValue: defaultValue,
            description: value({ () throws(ConfigError) in try spec.string("description") }), line: line
        )
        input.secret = value({ () throws(ConfigError) in try spec.choice("secret", from: ["true", "false"]) }) == "true"
        return input
    }

    private mutating func step(_ mapping: YAMLMapping) -> StepDefinition? {
        _ = collect { () throws(ConfigError) in try mapping.rejectUnknownKeys(Self.stepKeys, in: "a step") }
        guard let id = value({ () throws(ConfigError) in try mapping.string("id") }), !id.isEmpty else {
            fail(mapping, nil, "every step needs an 'id'", hint: mapping.keys.contains("name") ? "'name' is a display name; add 'id' too" : nil)
            return nil
        }
        if !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
            fail(mapping, "id", "step id '\(id)' may contain only letters, digits, '_' and '-'")
        }
        let child = value({ () throws(ConfigError) in try mapping.string("workflow") })
        let wait = signalWait(mapping, step: id)
        let kinds = ["capability", "workflow", "wait_for"].filter { mapping.keys.contains($0) }
        if kinds.count > 1 {
            fail(mapping, kinds[1], "step '\(id)' has both '\(kinds[0])' and '\(kinds[1])'",
                 hint: "a step asks a capability, runs a child workflow, or waits for a signal")
        }
        guard let capability = child.map({ "workflow:\($0)" }) ?? wait?.capability ?? value({ () throws(ConfigError) in try mapping.string("capability") }),
              !capability.isEmpty else {
            if !mapping.keys.contains("wait_for") {
                fail(mapping, "id", "step '\(id)' needs a 'capability' (or a child 'workflow', or 'wait_for' a signal)")
            }
            return nil
        }
        if child == nil, wait == nil, capability.utf8.count > CapabilityName.maximumBytes {
            fail(mapping, "capability", "step '\(id)' asks a capability of \(capability.utf8.count) bytes; a name is at most \(CapabilityName.maximumBytes)")
        }
        var step = StepDefinition(
            id: StepID(id), name: nil, capability: capability, agent: nil, params: .object([:]), dependsOn: [],
            condition: nil, conditionText: nil, retry: RetryPolicy(), timeout: nil, overallTimeout: nil, onFailure: .fail, line: mapping.line(of: "id") ?? 0
        )
        step.name = value({ () throws(ConfigError) in try mapping.string("name") })
        step.agent = value({ () throws(ConfigError) in try mapping.string("agent") })
        let fanOut = forEach(mapping, step: id)
        if let (node, _) = mapping.node("params") {
            step.params = JSONValue(yaml: node)
            if let fanOut, fanOut.name != "item" { step.params = step.params.renamingReferences(from: fanOut.name, to: "item") }
            for text in step.params.strings {
                if case .failure(let error) = Template.parse(text) {
                    fail(mapping, "params", "step '\(id)': \(error.description) in \"\(text)\"")
                }
            }
        }
        step.dependsOn = (value({ () throws(ConfigError) in try mapping.strings("depends_on") }) ?? []).map { StepID($0) }
        if let text = value({ () throws(ConfigError) in try mapping.string("condition") }) {
            switch Condition.parse(text) {
            case .success(let condition):
                step.condition = condition
                step.conditionText = text
            case .failure(let error): fail(mapping, "condition", "step '\(id)' has an invalid condition: \(error.description)", hint: "conditions use comparisons, and/or/not, literals and references")
            }
        }
        step.timeout = value({ () throws(ConfigError) in try mapping.duration("timeout") })
        step.overallTimeout = value({ () throws(ConfigError) in try mapping.duration("overall_timeout") })
        if let retry = value({ () throws(ConfigError) in try mapping.mapping("retry") }) {
            step.retry = retryPolicy(retry)
        }
        step.onFailure = failurePolicy(mapping, step: id)
        step.resources = value({ () throws(ConfigError) in try mapping.strings("resources") }) ?? []
        step.childWorkflow = child
        step.waitFor = wait
        step.forEach = fanOut
        if fanOut != nil, let other = ["wait_for", "coordination", "workflow"].first(where: { mapping.keys.contains($0) }) {
            fail(mapping, "for_each", "step '\(id)' has 'for_each' and '\(other)'", hint: "a fanned-out step asks a capability once per element")
        }
        if fanOut == nil, let stray = ["as", "max_parallel", "on_element_failure"].first(where: { mapping.keys.contains($0) }) {
            fail(mapping, stray, "step '\(id)' has '\(stray)' but no 'for_each'")
        }
        if step.agent != nil, let other = ["coordination", "workflow"].first(where: { mapping.keys.contains($0) }) {
            fail(mapping, "agent", "step '\(id)' names an 'agent' and has '\(other)'",
                 hint: other == "coordination" ? "a coordinated step is served by its group's members" : "a child workflow's steps name their own agents")
        }
        if wait != nil {
            for key in ["params", "retry", "timeout", "overall_timeout", "resources", "coordination", "agent"] where mapping.keys.contains(key) {
                fail(mapping, key, "step '\(id)' waits for a signal, so '\(key)' does not apply",
                     hint: key == "timeout" ? "put the time limit inside: wait_for: {signal: NAME, timeout: 24h}" : nil)
            }
        }
        if let coordination = value({ () throws(ConfigError) in try mapping.mapping("coordination") }) {
            step.coordination = collect { () throws(ConfigError) -> StepCoordination? in
                try coordination.rejectUnknownKeys(["mode", "group", "rule", "threshold", "weights", "electorate", "bid_deadline", "prefer", "rounds", "count"],
                                                   in: "'coordination'")
                guard let mode = try coordination.choice("mode", from: StepCoordination.Mode.allCases.map(\.rawValue)) else {
                    throw ConfigError(file: coordination.file, line: coordination.line, message: "step '\(id)': 'coordination' needs a 'mode'",
                                      hint: StepCoordination.Mode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                var result = StepCoordination(mode: StepCoordination.Mode(rawValue: mode)!, group: GroupName(try coordination.string("group") ?? capability))
                if let rule = try coordination.choice("rule", from: StepCoordination.Rule.allCases.map(\.rawValue)) {
                    result.rule = StepCoordination.Rule(rawValue: rule)!
                }
                result.threshold = try coordination.number("threshold", in: 0...1) ?? result.threshold
                result.bidDeadline = try coordination.duration("bid_deadline") ?? result.bidDeadline
                result.preferHighest = try coordination.choice("prefer", from: ["lowest", "highest"]) == "highest"
                result.maxRounds = try coordination.integer("rounds", in: 1...100) ?? result.maxRounds
                result.count = try coordination.integer("count", in: 1...100_000)
                if let weights = try coordination.mapping("weights") {
                    for member in weights.keys { result.weights[InstanceID(member)] = try weights.number(member, in: 0...1_000_000) }
                }
                result.electorate = try Self.electorate(coordination, mode: result.mode)
                return result
            } ?? nil
        }
        // With a problem the step is still returned, as far as it was read: its workflow is then
        // incomplete (never runnable), and the rest is checked against it.
        return step
    }

    /// `for_each: "${…}"` with `as`, `max_parallel` and `on_element_failure`.
    private mutating func forEach(_ mapping: YAMLMapping, step id: String) -> ForEach? {
        guard mapping.keys.contains("for_each") else { return nil }
        return collect { () throws(ConfigError) -> ForEach? in
            let line = mapping.line(of: "for_each") ?? mapping.line
            guard let items = try mapping.string("for_each"), case .success(let template) = Template.parse(items),
                  template.pieces.count == 1, case .reference(let reference) = template.pieces[0] else {
                throw ConfigError(file: mapping.file, line: line, message: "step '\(id)': 'for_each' must be one reference to a list",
                                  hint: "for_each: \"${input.symbols}\" or \"${steps.list.output.items}\"")
            }
            if case .item = reference {
                throw ConfigError(file: mapping.file, line: line, message: "step '\(id)': 'for_each' cannot read its own element")
            }
            var fanOut = ForEach(items: items)
            if let name = try mapping.string("as") {
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !Reference.roots.contains(name) || name == "item" else {
                    throw ConfigError(file: mapping.file, line: mapping.line(of: "as") ?? line,
                                      message: "step '\(id)': 'as' must be a name of letters, digits and '_' other than \(Reference.roots.filter { $0 != "item" }.joined(separator: ", "))")
                }
                fanOut.name = name
            }
            fanOut.maxParallel = try mapping.integer("max_parallel", in: 1...ForEach.maximumElements)
            if let policy = try mapping.choice("on_element_failure", from: ForEach.ElementFailure.allCases.map(\.rawValue)) {
                fanOut.onElementFailure = ForEach.ElementFailure(rawValue: policy)!
            }
            return fanOut
        } ?? nil
    }

    /// `wait_for: {signal: NAME, timeout: DURATION}`.
    private mutating func signalWait(_ mapping: YAMLMapping, step id: String) -> SignalWait? {
        guard mapping.keys.contains("wait_for") else { return nil }
        return collect { () throws(ConfigError) -> SignalWait? in
            guard let spec = try mapping.mapping("wait_for") else { return nil }
            try spec.rejectUnknownKeys(["signal", "timeout"], in: "'wait_for'")
            guard let signal = try spec.string("signal"), !signal.isEmpty else {
                throw ConfigError(file: spec.file, line: spec.line, message: "step '\(id)': 'wait_for' needs a 'signal' name",
                                  hint: "wait_for: {signal: approve, timeout: 24h}")
            }
            guard signal.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }), signal.count <= 100 else {
                throw ConfigError(file: spec.file, line: spec.line(of: "signal") ?? spec.line,
                                  message: "step '\(id)': signal name '\(signal)' may contain only letters, digits, '_', '-' and '.' (at most 100)")
            }
            let timeout = try spec.duration("timeout")
            if let timeout, timeout <= .zero {
                throw ConfigError(file: spec.file, line: spec.line(of: "timeout") ?? spec.line, message: "step '\(id)': the wait's 'timeout' must be more than 0")
            }
            return SignalWait(signal: signal, timeout: timeout)
        } ?? nil
    }

    /// `electorate: N | [instance, …] | live` (consensus steps only).
    private static func electorate(_ coordination: YAMLMapping, mode: StepCoordination.Mode) throws(ConfigError) -> StepCoordination.Electorate? {
        guard let (node, line) = coordination.node("electorate") else { return nil }
        guard mode == .consensus else {
            throw ConfigError(file: coordination.file, line: line, message: "'electorate' applies to consensus steps only")
        }
        if node.sequence != nil {
            let members = try coordination.strings("electorate") ?? []
            guard !members.isEmpty, Set(members).count == members.count else {
                throw ConfigError(file: coordination.file, line: line, message: "'electorate' lists no members, or one twice")
            }
            return .members(members.map { InstanceID($0) })
        }
        if try coordination.string("electorate") == "live" { return .live }
        guard let seats = try? coordination.integer("electorate", in: 1...10_000) else {
            throw ConfigError(file: coordination.file, line: line,
                              message: "'electorate' must be a number of seats (1 to 10000), a list of instance ids, or 'live'")
        }
        return .size(seats)
    }

    private mutating func retryPolicy(_ mapping: YAMLMapping) -> RetryPolicy {
        var policy = RetryPolicy()
        _ = collect { () throws(ConfigError) in try mapping.rejectUnknownKeys(Self.retryKeys, in: "'retry'") }
        policy.maxAttempts = value({ () throws(ConfigError) in try mapping.integer("max_attempts", in: 1...1000) }) ?? policy.maxAttempts
        policy.initialInterval = value({ () throws(ConfigError) in try mapping.duration("initial_interval", allowsZero: true) }) ?? policy.initialInterval
        policy.maxInterval = value({ () throws(ConfigError) in try mapping.duration("max_interval", allowsZero: true) }) ?? policy.initialInterval * 100
        policy.backoffCoefficient = value({ () throws(ConfigError) in try mapping.number("backoff_coefficient", in: 1...100) }) ?? policy.backoffCoefficient
        policy.jitter = value({ () throws(ConfigError) in try mapping.number("jitter", in: 0...1) }) ?? policy.jitter
        policy.nonRetryableErrorCodes = value({ () throws(ConfigError) in try mapping.strings("non_retryable_errors") }) ?? []
        if policy.maxInterval < policy.initialInterval {
            fail(mapping, "max_interval", "'max_interval' is shorter than 'initial_interval'")
        }
        return policy
    }

    private mutating func failurePolicy(_ mapping: YAMLMapping, step id: String) -> FailurePolicy {
        guard let (node, line) = mapping.node("on_failure") else { return .fail }
        switch JSONValue(yaml: node) {
        case .string("fail"): return .fail
        case .string("continue"): return .continue
        case .object(let fields) where fields.count == 1:
            if case .string(let handler)? = fields["compensate"] { return .compensate(StepID(handler)) }
        default: break
        }
        errors.append(ConfigError(file: mapping.file, line: line, message: "step '\(id)': 'on_failure' must be fail, continue, or {compensate: HANDLER_ID}"))
        return .fail
    }
}

extension JSONValue {
    /// The value with `${NAME}` and `${NAME.…}` written as `${TO}` / `${TO.…}` in every string
    /// (a `for_each` step's element name becomes the `item` reference).
    func renamingReferences(from name: String, to replacement: String) -> JSONValue {
        switch self {
        case .string(let text):
            return .string(text.replacingOccurrences(of: "${\(name)}", with: "${\(replacement)}")
                .replacingOccurrences(of: "${\(name).", with: "${\(replacement)."))
        case .array(let items): return .array(items.map { $0.renamingReferences(from: name, to: replacement) })
        case .object(let fields): return .object(fields.mapValues { $0.renamingReferences(from: name, to: replacement) })
        default: return self
        }
    }

    /// Every string inside this value.
    var strings: [String] {
        switch self {
        case .string(let text): return [text]
        case .array(let items): return items.flatMap(\.strings)
        case .object(let fields): return fields.keys.sorted().flatMap { fields[$0]!.strings }
        default: return []
        }
    }
}
