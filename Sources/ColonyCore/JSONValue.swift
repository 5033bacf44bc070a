import Foundation

/// A JSON value: request and reply bodies, and what step params, inputs, outputs and context hold.
public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// A message body as a value: JSON when it parses, else the text as a string, and null
    /// when empty.
    public init(body bytes: [UInt8]) {
        if bytes.isEmpty {
            self = .null
        } else if let value = JSONValue(parsing: bytes) {
            self = value
        } else {
            self = .string(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The value at `path` (object keys, or array indices written as numbers), if present.
    public func value(at path: [String]) -> JSONValue? {
        var current = self
        for key in path {
            switch current {
            case .object(let fields):
                guard let next = fields[key] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .number(let value): return JSONText.number(value)
        case .string(let value): return value
        case .array, .object: return String(decoding: jsonBytes, as: UTF8.self)
        }
    }

    /// The value as JSON text (strings quoted).
    public var jsonText: String {
        if case .string(let value) = self { return JSONText.quote(value) }
        return description
    }
}
