import ColonyCore
import ColonyYAML
import Foundation
import Yams

extension JSONValue {
    /// Converts a YAML node: scalars by their YAML type (plain `42` is a number, `'42'` a string).
    public init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let bool = YAMLMapping.boolean(scalar.string) { self = .bool(bool); return }
                if let int = Int.construct(from: scalar) { self = .number(Double(int)); return }
                if let double = Double.construct(from: scalar) { self = .number(double); return }
                if NSNull.construct(from: scalar) != nil { self = .null; return }
            }
            self = .string(scalar.string)
        case .sequence(let sequence):
            self = .array(sequence.map { JSONValue(yaml: $0) })
        case .mapping(let mapping):
            var fields: [String: JSONValue] = [:]
            for (key, value) in mapping { fields[key.string ?? "\(key)"] = JSONValue(yaml: value) }
            self = .object(fields)
        case .alias:
            self = .null
        }
    }
}
