import ColonyCore
import ColonyYAML

/// Reads a workflow's `trigger: {event, when, input, dedupe}`: the event topic (or `prefix.*`),
/// a condition and templates over `${event.PATH}` only, and input names the workflow declares.
enum TriggerParser {
    static func parse(_ mapping: YAMLMapping, workflow: String, inputs: [InputDefinition]) throws(ConfigError) -> EventTrigger {
        try mapping.rejectUnknownKeys(["event", "when", "input", "dedupe"], in: "'trigger'")
        guard let event = try mapping.string("event"), !event.isEmpty else {
            throw ConfigError(file: mapping.file, line: mapping.line, message: "workflow '\(workflow)': 'trigger' needs an 'event' topic",
                              hint: "trigger: {event: orders.shipped, when: \"${event.total} > 100\", input: {order: \"${event.id}\"}}")
        }
        let topicCharacters = event.hasSuffix(".*") ? event.dropLast(2) : Substring(event)
        guard !topicCharacters.isEmpty, topicCharacters.count <= 200, topicCharacters.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw ConfigError(file: mapping.file, line: mapping.line(of: "event") ?? mapping.line,
                              message: "workflow '\(workflow)': trigger event '\(event)' must be a topic (letters, digits, '.', '_', '-') or a prefix ending in '.*'")
        }
        var trigger = EventTrigger(event: event)
        if let text = try mapping.string("when") {
            switch Condition.parse(text) {
            case .success(let condition):
                try requireEventReferences(condition.references, in: "'when'", mapping, key: "when", workflow: workflow)
                trigger.when = condition
                trigger.whenText = text
            case .failure(let error):
                throw ConfigError(file: mapping.file, line: mapping.line(of: "when") ?? mapping.line,
                                  message: "workflow '\(workflow)': the trigger's 'when' is not a condition: \(error.description)")
            }
        }
        if let (node, line) = mapping.node("input") {
            let input = JSONValue(yaml: node)
            guard case .object(let fields) = input else {
                throw ConfigError(file: mapping.file, line: line, message: "workflow '\(workflow)': the trigger's 'input' must be a mapping of input names")
            }
            let declared = inputs.map(\.name)
            if !declared.isEmpty, let unknown = fields.keys.sorted().first(where: { !declared.contains($0) }) {
                throw ConfigError(file: mapping.file, line: line, message: "workflow '\(workflow)': the trigger's input '\(unknown)' is not a declared input",
                                  hint: "declared: \(declared.joined(separator: ", "))")
            }
            try requireEventReferences(try templates(in: input, mapping, key: "input", workflow: workflow), in: "'input'", mapping, key: "input", workflow: workflow)
            trigger.input = input
        }
        if let dedupe = try mapping.string("dedupe") {
            try requireEventReferences(try templates(in: .string(dedupe), mapping, key: "dedupe", workflow: workflow), in: "'dedupe'", mapping,
                                       key: "dedupe", workflow: workflow)
            trigger.dedupe = dedupe
        }
        return trigger
    }

    private static func templates(in value: JSONValue, _ mapping: YAMLMapping, key: String, workflow: String) throws(ConfigError) -> [Reference] {
        var references: [Reference] = []
        for text in value.strings {
            switch Template.parse(text) {
            case .success(let template): references += template.references
            case .failure(let error):
                throw ConfigError(file: mapping.file, line: mapping.line(of: key) ?? mapping.line,
                                  message: "workflow '\(workflow)': the trigger's '\(key)': \(error.description) in \"\(text)\"")
            }
        }
        return references
    }

    private static func requireEventReferences(_ references: [Reference], in field: String, _ mapping: YAMLMapping, key: String,
                                               workflow: String) throws(ConfigError) {
        for reference in references {
            guard case .event = reference else {
                throw ConfigError(file: mapping.file, line: mapping.line(of: key) ?? mapping.line,
                                  message: "workflow '\(workflow)': the trigger's \(field) references '\(reference)'; a trigger sees only ${event.PATH}")
            }
        }
    }
}
