import ColonyCore

/// Why a run's input was refused.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "; ") }
}

extension WorkflowDefinition {
    /// The input a run starts with: `given` checked against the declared inputs (types,
    /// required ones present, no unknown names) with defaults filled in.
    public func resolveInput(_ given: JSONValue) -> Result<JSONValue, InputError> {
        var fields: [String: JSONValue]
        switch given {
        case .null: fields = [:]
        case .object(let object): fields = object
        default: return .failure(InputError(problems: ["the input must be a JSON object, not \(given.typeName)"]))
        }
        var problems: [String] = []
        let declared = Set(inputs.map(\.name))
        for name in fields.keys.sorted() where !declared.contains(name) {
            let known = inputs.isEmpty ? "it declares no inputs" : "its inputs are \(inputs.map(\.name).joined(separator: ", "))"
            problems.append("unknown input '\(name)' for workflow '\(self.name)' (\(known))")
        }
        for input in inputs {
            if let value = fields[input.name] {
                if !input.type.accepts(value) {
                    problems.append("input '\(input.name)' must be \(input.type.rawValue), got \(value.typeName) \(value.jsonText)")
                }
            } else if let value = input.defaultValue {
                fields[input.name] = value
            } else if input.required {
                problems.append("input '\(input.name)' (\(input.type.rawValue)) is required")
            }
        }
        return problems.isEmpty ? .success(.object(fields)) : .failure(InputError(problems: problems))
    }
}

extension JSONValue {
    /// The value with every `${…}` string filled in through `resolve` (see `Template.render`).
    public func rendered(_ resolve: (Reference) -> JSONValue?) -> JSONValue {
        switch self {
        case .string(let text):
            guard text.contains("${"), case .success(let template) = Template.parse(text) else { return self }
            return template.render(resolve)
        case .array(let items): return .array(items.map { $0.rendered(resolve) })
        case .object(let fields): return .object(fields.mapValues { $0.rendered(resolve) })
        default: return self
        }
    }
}
