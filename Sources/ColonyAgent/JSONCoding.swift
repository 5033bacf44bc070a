import ColonyCore
import ColonyWire
import Foundation

/// JSON coding for payloads, with errors that say what was expected.
enum JSONCoding {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(WireError) -> T {
        if T.self == Empty.self, bytes.isEmpty { return Empty() as! T }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw WireError(.badRequest, "bad input: \(describe(error))")
        } catch {
            throw WireError(.badRequest, "bad input: \(error)")
        }
    }

    /// The JSON kind a Swift type is read from, as a caller in another language would say it.
    static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "a boolean"
        case is any BinaryInteger.Type: "an integer"
        case is any BinaryFloatingPoint.Type: "a number"
        case is any Sequence.Type: "an array"
        default: "an object"
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'\(path(context))"
        case .typeMismatch(let type, let context): return "expected \(jsonKind(type))\(path(context))"
        case .valueNotFound(let type, let context): return "missing \(jsonKind(type))\(path(context))"
        case .dataCorrupted(let context): return "not valid JSON\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// A payload with no content, for capabilities that take or return nothing.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}
