import ColonyCore
import Foundation

extension WorkflowDefinition {
    /// The values of a run's secret inputs (`secret: true`), as the run's input holds them.
    public func secretValues(in input: JSONValue) -> [JSONValue] {
        inputs.filter(\.secret).compactMap { input.value(at: [$0.name]) }
    }
}

extension JSONValue {
    /// This value with every occurrence of `secrets` replaced by `"***"`: whole values equal to
    /// a secret, and secret strings inside longer strings (a reference spliced into a template).
    public func redacting(_ secrets: [JSONValue]) -> JSONValue {
        guard !secrets.isEmpty else { return self }
        if secrets.contains(self) { return .string("***") }
        switch self {
        case .string(let text):
            return .string(text.redacting(secrets))
        case .array(let items): return .array(items.map { $0.redacting(secrets) })
        case .object(let fields): return .object(fields.mapValues { $0.redacting(secrets) })
        default: return self
        }
    }
}

extension String {
    /// This text with every secret string in `secrets` replaced by `***` (other secret values
    /// are matched as their JSON text).
    public func redacting(_ secrets: [JSONValue]) -> String {
        var redacted = self
        for secret in secrets {
            let text: String
            if case .string(let string) = secret { text = string } else { text = secret.jsonText }
            guard !text.isEmpty else { continue }
            redacted = redacted.replacingOccurrences(of: text, with: "***")
        }
        return redacted
    }
}
