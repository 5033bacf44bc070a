import ColonyCore

/// A definition written back as a document in the YAML schema (JSON is YAML), so the same
/// parser reads it again: the store keeps every version this way, and a run always resumes
/// with the definition it started with.
extension WorkflowDefinition {
    /// The canonical source: keys sorted, durations in milliseconds, defaults spelled out.
    public var canonicalSource: String { canonicalValue.jsonText }

    /// A stable hash of `canonicalSource` (FNV-1a, 64 bits, hex): a changed definition is a new version.
    public var fingerprint: String { FNV1a.hex(canonicalValue.jsonBytes) }

    var canonicalValue: JSONValue {
        var fields: [String: JSONValue] = [
            "name": .string(name),
            "enabled": .bool(enabled),
            "steps": .array(steps.map(\.canonicalValue)),
        ]
        if let description { fields["description"] = .string(description) }
        if let version { fields["version"] = .number(Double(version)) }
        if !inputs.isEmpty {
            fields["inputs"] = .object(Dictionary(uniqueKeysWithValues: inputs.map { input in
                var spec: [String: JSONValue] = ["type": .string(input.type.rawValue), "required": .bool(input.required)]
                if let value = input.defaultValue { spec["default"] = value }
                if let text = input.description { spec["description"] = .string(text) }
                if input.secret { spec["secret"] = .bool(true) }
                return (input.name, JSONValue.object(spec))
            }))
        }
        if !handlers.isEmpty { fields["handlers"] = .array(handlers.map(\.canonicalValue)) }
        if let timeout { fields["timeout"] = .string(milliseconds(timeout)) }
        if let onError { fields["on_error"] = .string(onError.rawValue) }
        if !context.isEmpty { fields["context"] = .object(context) }
        if let schedule { fields["schedule"] = schedule }
        if let trigger { fields["trigger"] = trigger }
        if let maxConcurrentRuns { fields["max_concurrent_runs"] = .number(Double(maxConcurrentRuns)) }
        return .object(fields)
    }
}

extension StepDefinition {
    var canonicalValue: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id.rawValue), "params": params,
            "retry": .object([
                "max_attempts": .number(Double(retry.maxAttempts)),
                "initial_interval": .string(milliseconds(retry.initialInterval)),
                "backoff_coefficient": .number(retry.backoffCoefficient),
                "max_interval": .string(milliseconds(retry.maxInterval)),
                "jitter": .number(retry.jitter),
                "non_retryable_errors": .array(retry.nonRetryableErrorCodes.map(JSONValue.string)),
            ]),
        ]
        if let waitFor {
            // A waiting step takes no params, retry or timeout of its own.
            fields = ["id": .string(id.rawValue)]
            var spec: [String: JSONValue] = ["signal": .string(waitFor.signal)]
            if let timeout = waitFor.timeout { spec["timeout"] = .string(milliseconds(timeout)) }
            fields["wait_for"] = .object(spec)
        } else if let childWorkflow {
            fields["workflow"] = .string(childWorkflow)
        } else {
            fields["capability"] = .string(capability)
        }
        if let forEach {
            fields["for_each"] = .string(forEach.items)  // params already read the element as ${item}
            if let maxParallel = forEach.maxParallel { fields["max_parallel"] = .number(Double(maxParallel)) }
            fields["on_element_failure"] = .string(forEach.onElementFailure.rawValue)
        }
        if let name { fields["name"] = .string(name) }
        if let agent { fields["agent"] = .string(agent) }
        if !dependsOn.isEmpty { fields["depends_on"] = .array(dependsOn.map { .string($0.rawValue) }) }
        if let conditionText { fields["condition"] = .string(conditionText) }
        if let timeout { fields["timeout"] = .string(milliseconds(timeout)) }
        if let overallTimeout { fields["overall_timeout"] = .string(milliseconds(overallTimeout)) }
        if !resources.isEmpty { fields["resources"] = .array(resources.map(JSONValue.string)) }
        if let coordination {
            var spec: [String: JSONValue] = ["mode": .string(coordination.mode.rawValue), "group": .string(coordination.group.rawValue)]
            if coordination.mode == .consensus {
                spec["rule"] = .string(coordination.rule.rawValue)
                spec["threshold"] = .number(coordination.threshold)
                if !coordination.weights.isEmpty { spec["weights"] = .object(Dictionary(uniqueKeysWithValues: coordination.weights.map { ($0.key.rawValue, .number($0.value)) })) }
                switch coordination.electorate {
                case .size(let seats): spec["electorate"] = .number(Double(seats))
                case .members(let members): spec["electorate"] = .array(members.map { .string($0.rawValue) })
                case .live: spec["electorate"] = .string("live")
                case nil: break
                }
            }
            if coordination.mode == .barrier, let count = coordination.count { spec["count"] = .number(Double(count)) }
            if coordination.mode == .auction {
                spec["bid_deadline"] = .string(milliseconds(coordination.bidDeadline))
                spec["prefer"] = .string(coordination.preferHighest ? "highest" : "lowest")
                spec["rounds"] = .number(Double(coordination.maxRounds))
            }
            fields["coordination"] = .object(spec)
        }
        switch onFailure {
        case .fail: break
        case .continue: fields["on_failure"] = .string("continue")
        case .compensate(let handler): fields["on_failure"] = .object(["compensate": .string(handler.rawValue)])
        }
        return .object(fields)
    }
}

private func milliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
}
