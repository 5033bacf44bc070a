import ColonyCore
import ColonyWire

extension CapabilityDescription {
    /// The input schema in one line a person reads: `{a: number, b: number, note?: string}`.
    var inputSketch: String? { input.map(Self.sketch) }

    static func sketch(_ schema: JSONValue) -> String {
        guard case .object(let fields) = schema else { return "any" }
        if case .array(let options) = fields["anyOf"] ?? fields["oneOf"] ?? .null {
            return options.map(sketch).joined(separator: " | ")
        }
        if case .array(let values) = fields["enum"] ?? .null {
            return values.map { "\($0)" }.joined(separator: " | ")
        }
        let type: String? = if case .string(let name) = fields["type"] ?? .null { name } else { nil }
        switch type {
        case "object":
            guard case .object(let properties) = fields["properties"] ?? .null, !properties.isEmpty else { return "object" }
            var required: Set<String> = []
            if case .array(let names) = fields["required"] ?? .null {
                for case .string(let name) in names { required.insert(name) }
            }
            let listed = properties.keys.sorted().map { name in
                "\(name)\(required.contains(name) ? "" : "?"): \(sketch(properties[name] ?? .null))"
            }
            return "{" + listed.joined(separator: ", ") + "}"
        case "array":
            return "[" + (fields["items"].map(sketch) ?? "any") + "]"
        case let name?:
            return name
        case nil:
            return fields["$ref"] != nil ? "object" : "any"
        }
    }

    /// What `colony agent info` and a bad-input error print about the capability.
    func lines(for capability: String) -> [String] {
        var lines: [String] = []
        if let summary { lines.append("\(capability): \(summary)") }
        if let sketch = inputSketch { lines.append("\(capability) expects \(sketch)") }
        return lines
    }
}
